"""Dokumen keputusan: the ranked list a batch step decided (a forum's recap), as a page, CSV and XLSX.

Any process whose user task has `batchOf` (see api/services/messages.py) gets one document
per instance: its header (the start form's and the batch form's other answers) and its
list rows in rank order, with the row form's titles as columns. A document is read as its
forum case is (`privacy.case_scope`, the recaps' and the inbox's rule) by the roles taking part
in the forum (its lanes) or in the procedure whose cases it decides (the lanes of the `batchOf`
process: the kecamatan team reads its desa's musyawarah), by report viewers and by admins, each
inside the regions of those grants. A grant for some units only reads the forums whose steps
were routed to those units: one OPD's planner does not read another OPD's forum. Anyone else,
like a user of another region, gets 404: not told the document exists.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from sqlalchemy import ColumnElement, and_, or_

from api.db import db
from api.models import Instance
from api.services import messages, privacy
from api.services.versions import VersionRef, runtime
from api.web import bp
from api.web.common import PageError, page_login, principal
from api.web.recap import _sort_key
from api.web.spreadsheet import csv_download, safe_cell, sheet_moment, xlsx_download
from api.web.values import Vocabulary, display_value
from engine import TaskInfo

LIST_LIMIT = 500


def _batch_step(ref: VersionRef) -> TaskInfo | None:
    return next((t for t in ref.version.tasks.values() if messages.is_batch(t)), None)


def _scope(ref: VersionRef, step: TaskInfo) -> ColumnElement[bool]:
    """SQL on `Instance`: the documents of this forum version the user reads (see the module's docstring)."""
    lanes = set(ref.version.lanes)
    decided = step.properties[messages.BATCH_OF].partition(".")[0]
    if decided in runtime().process_ids():
        lanes |= set(runtime().current(decided).version.lanes)
    return privacy.case_scope(principal(), lanes)


def documents(process_id: str | None) -> list[dict[str, Any]]:
    """The instances of processes with a batch step that the user may see, newest first."""
    refs = {pid: runtime().current(pid) for pid in runtime().process_ids()}
    # The list asks the current version who reads a process's documents; each page asks the instance's own.
    scopes = {pid: and_(Instance.process_id == pid, _scope(ref, step))
              for pid, ref in refs.items() if (step := _batch_step(ref))}
    chosen = [scopes[process_id]] if process_id in scopes else list(scopes.values())
    if not chosen:
        return []
    # Filtered in SQL before the limit, so documents the user may not read never crowd out those they may.
    rows = db.session.execute(
        db.select(Instance).where(or_(*chosen)).order_by(Instance.created_at.desc(), Instance.id).limit(LIST_LIMIT)
    ).scalars().all()
    return [{"instance": i, "process": refs[i.process_id].version.name} for i in rows]


def document(instance_id: int) -> dict[str, Any]:
    """One instance's decided list: header fields, columns, rows in rank order (404 if not visible)."""
    instance = db.session.get(Instance, instance_id)
    ref = runtime().by_row(instance.version_id) if instance is not None else None
    step = _batch_step(ref) if ref is not None else None
    # One answer for "no such case", "no decision list" and "not yours": the id tells nobody anything.
    if step is None or db.session.execute(
            db.select(Instance.id).where(Instance.id == instance.id, _scope(ref, step))).first() is None:
        raise PageError(404, "dokumen keputusan tidak ditemukan")
    version = ref.version
    data = privacy.redact(runtime().engine.inspect(version, instance.state).data, instance, version, principal())
    field = step.properties[messages.BATCH_FIELD]
    schema = step.form.schema if step.form else {}
    row_schema = schema.get("properties", {}).get(field, {}).get("items", {})
    row_props = row_schema.get("properties", {})
    order = ((step.form.ui_schema or {}).get(field, {}).get("items", {}).get("ui:order") if step.form else None) \
        or list(row_props)
    columns = [(name, row_props[name].get("title", name), row_props[name]) for name in order if name in row_props]
    vocab = Vocabulary.of(version)
    header = []
    for form in (version.start.form, step.form):
        for name, spec in ((form.schema.get("properties", {}) if form else {}).items()):
            if name != field and name in data:
                header.append((spec.get("title", name),
                               display_value(data[name], spec, name=name, vocab=vocab, region=instance.region),
                               data[name], spec))
    rank = step.properties.get(messages.BATCH_RANK)
    rows = [r for r in data.get(field) or [] if isinstance(r, dict)]
    if rank:
        rows.sort(key=lambda r: _sort_key(r.get(rank)))
    decided = step.element_id in runtime().engine.inspect(version, instance.state).completed_elements
    return {"instance": instance, "process": version.name, "step": step, "header": header, "columns": columns,
            "rows": rows, "decided": decided, "vocab": vocab}


def cell(row: dict[str, Any], column: tuple[str, str, dict], vocab: Vocabulary | None = None,
         region: str | None = None) -> Any:
    """One cell of a download: numbers stay numbers for the spreadsheet, the rest as the page shows it
    (a moment on the clock of the forum's region)."""
    value = row.get(column[0])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = shown(row, column, vocab, region)
    return "" if text == "-" else text


def shown(row: dict[str, Any], column: tuple[str, str, dict], vocab: Vocabulary | None = None,
          region: str | None = None) -> str:
    """One cell of the page, as people read it."""
    name, _title, spec = column
    return display_value(row.get(name), spec, name=name, vocab=vocab, region=region)


@bp.route("/keputusan")
@page_login
def decision_list():
    return render_template("decision_list.html", docs=documents(request.args.get("proses")))


@bp.route("/keputusan/<int:instance_id>")
@page_login
def decision_page(instance_id: int):
    return render_template("decision.html", d=document(instance_id), cell=shown)


def _filename(doc: dict[str, Any], ext: str) -> str:
    return f"keputusan_{doc['instance'].process_id}_{doc['instance'].tracking_code}.{ext}"


@bp.route("/keputusan/<int:instance_id>.csv")
@page_login
def decision_csv(instance_id: int) -> Response:
    doc = document(instance_id)
    rows = [[title, text] for title, text, _value, _spec in doc["header"]] + [[]]
    rows.append([title for _, title, _ in doc["columns"]])
    rows += [[cell(row, c, doc["vocab"], doc["instance"].region) for c in doc["columns"]] for row in doc["rows"]]
    return csv_download(rows, _filename(doc, "csv"))


@bp.route("/keputusan/<int:instance_id>.xlsx")
@page_login
def decision_xlsx(instance_id: int) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    doc = document(instance_id)
    book = Workbook()
    sheet = book.active
    sheet.title = "Keputusan"
    sheet.append([doc["instance"].title])
    sheet["A1"].font = Font(bold=True)
    region = doc["instance"].region
    for title, text, value, spec in doc["header"]:
        moment = sheet_moment(value, spec, region)
        sheet.append([safe_cell(title), moment if moment is not None else safe_cell(text)])
    sheet.append([])
    sheet.append([title for _, title, _ in doc["columns"]])
    for c in sheet[sheet.max_row]:
        c.font = Font(bold=True)
    for row in doc["rows"]:
        moments = [sheet_moment(row.get(c[0]), c[2], region) for c in doc["columns"]]
        sheet.append([m if m is not None else safe_cell(cell(row, c, doc["vocab"], region))
                      for m, c in zip(moments, doc["columns"], strict=True)])
    return xlsx_download(book, _filename(doc, "xlsx"))
