"""Rekap: for a procedure and a step, the instances waiting there or past it in the user's regions,
with data fields chosen by the user as columns; sortable; CSV and XLSX export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, render_template, request

from api.services import privacy
from api.services.deploy import analyst_role
from api.services.versions import VersionRef, runtime
from api.web import bp
from api.web.common import fmt_moment, page_login, principal, query_with
from api.web.queries import (
    ROW_LIMIT,
    at_or_past_step,
    form_fields,
    processes_with_instances,
    region_names,
    waiting_steps,
)
from api.web.spreadsheet import csv_download, safe_cell, sheet_moment, xlsx_download
from api.web.values import Vocabulary, display_value

FIXED = [("kode_lacak", "Kode lacak"), ("judul", "Judul"), ("wilayah", "Wilayah"), ("posisi", "Posisi"),
         ("dimulai", "Dimulai")]


def _prefixes() -> list[str]:
    """Regions of the user's grants, to choose the recap's first process (which cases it lists is
    `privacy.case_scope`'s to say).

    An analyst grant changes diagrams and shows counts, never instance data.
    """
    analyst = analyst_role()
    return sorted({p for role, p in principal().grants if role != analyst})


def _sort_key(value: Any) -> tuple:
    if value is None or value == "":
        return (2, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).lower())


def _own_process(refs: dict[str, VersionRef], prefixes: list[str]) -> str | None:
    """The first process a lane of the user's grants takes part in with instances in their regions.

    Report viewers and admins hold no lane: for them the first process with instances counts. Without any, the
    first process the user takes part in, else the first process.
    """
    roles = {role for role, _ in principal().grants}
    mine = [pid for pid, ref in refs.items() if roles & set(ref.version.lanes)] or list(refs)
    with_rows = processes_with_instances(mine, prefixes)
    return next((pid for pid in mine if pid in with_rows), next(iter(mine), None))


def build(args: Any) -> dict[str, Any]:
    """The recap for the query string: choices, columns, sorted rows."""
    refs = {pid: runtime().current(pid) for pid in runtime().process_ids()}
    process_id = args.get("proses") if args.get("proses") in refs else _own_process(refs, _prefixes())
    out: dict[str, Any] = {"refs": refs, "process_id": process_id, "steps": [], "fields": {}, "rows": [],
                           "columns": [], "step": None, "chosen": [], "sort": "", "desc": False}
    if process_id is None:
        return out
    ref: VersionRef = refs[process_id]
    steps = [t for t in ref.version.tasks.values() if t.form]
    out["steps"] = steps
    step = next((t for t in steps if t.element_id == args.get("langkah")), steps[0] if steps else None)
    if step is None:
        return out
    specs = form_fields(ref.version)
    out["fields"] = specs
    out["vocab"] = Vocabulary.of(ref.version)
    chosen = [c for c in args.getlist("kolom") if c in specs]
    if not chosen and not args.get("pilih"):
        props = step.form.schema.get("properties", {})
        ui = step.form.ui_schema or {}
        chosen = [n for n in props if ui.get(n, {}).get("ui:widget") not in ("textarea", "hidden")][:6]
    columns = FIXED + [(c, specs[c].get("title", c)) for c in chosen]
    who = principal()
    # The reader's cases as the inbox routes them: a role of another procedure reads none, a unit only its own.
    instances = at_or_past_step(process_id, step.element_id, privacy.case_scope(who, ref.version.lanes))
    waiting = waiting_steps([i.id for i in instances])
    names = region_names({i.region for i in instances})
    rows = []
    for instance in instances:
        version = runtime().by_row(instance.version_id)
        data = privacy.redact(runtime().engine.inspect(version.version, instance.state).data, instance,
                              version.version, who)
        here = step.title in waiting.get(instance.id, [])
        raw = {"kode_lacak": instance.tracking_code, "judul": instance.title, "wilayah": instance.region,
               "posisi": "menunggu di langkah ini" if here else "sudah melewati",
               "dimulai": instance.created_at, "_id": instance.id, "_region_name": names.get(instance.region, "")}
        raw.update({c: data.get(c) for c in chosen})
        rows.append(raw)
    sort = args.get("urut") if args.get("urut") in dict(columns) else ""
    desc = args.get("arah") == "turun"
    if sort:
        rows.sort(key=lambda r: _sort_key(r.get(sort)), reverse=desc)
        if desc:  # empty values stay last either way
            rows.sort(key=lambda r: r.get(sort) in (None, ""))
    out.update({"step": step, "chosen": chosen, "columns": columns, "rows": rows, "sort": sort, "desc": desc,
                "limit": ROW_LIMIT, "ref": ref})
    return out


def cell(row: dict[str, Any], key: str, specs: dict[str, dict], vocab: Vocabulary | None = None) -> Any:
    value = row.get(key)
    if key == "dimulai":
        return fmt_moment(value, row.get("wilayah"))
    if key in ("kode_lacak", "judul", "wilayah", "posisi"):
        return value or ""
    return display_value(value, specs.get(key), name=key, vocab=vocab, region=row.get("wilayah"))


def export_value(row: dict[str, Any], key: str, specs: dict[str, dict], vocab: Vocabulary | None = None) -> Any:
    """Numbers stay numbers in exports; everything else as shown on the page."""
    value = row.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return fmt_moment(value, row.get("wilayah"))
    text = cell(row, key, specs, vocab)
    return "" if text == "-" else text


def sheet_value(row: dict[str, Any], key: str, specs: dict[str, dict], vocab: Vocabulary | None = None) -> Any:
    """A spreadsheet cell: dates and moments as real ones (they sort and filter), the rest as in the CSV."""
    moment = sheet_moment(row.get(key), specs.get(key), row.get("wilayah"))
    return moment if moment is not None else export_value(row, key, specs, vocab)


@bp.route("/rekap")
@page_login
def recap():
    result = build(request.args)
    return render_template("recap.html", r=result, cell=cell, args=request.args, query=query_with)


def _filename(result: dict[str, Any], ext: str) -> str:
    return f"rekap_{result['process_id']}_{result['step'].element_id if result['step'] else 'kosong'}.{ext}"


@bp.route("/rekap.csv")
@page_login
def recap_csv() -> Response:
    result = build(request.args)
    rows = [[title for _, title in result["columns"]]]
    rows += [[export_value(row, key, result["fields"], result.get("vocab")) for key, _ in result["columns"]]
             for row in result["rows"]]
    return csv_download(rows, _filename(result, "csv"))


@bp.route("/rekap.xlsx")
@page_login
def recap_xlsx() -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    result = build(request.args)
    book = Workbook()
    sheet = book.active
    sheet.title = "Rekap"
    sheet.append([title for _, title in result["columns"]])
    for c in sheet[1]:
        c.font = Font(bold=True)
    for row in result["rows"]:
        values = [sheet_value(row, key, result["fields"], result.get("vocab")) for key, _ in result["columns"]]
        sheet.append([safe_cell(v) for v in values])
    sheet.freeze_panes = "A2"
    return xlsx_download(book, _filename(result, "xlsx"))
