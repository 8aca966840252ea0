"""Analyst: processes and their versions, each diagram viewable, the lint of each file, instances per version."""

from __future__ import annotations

from flask import Response, current_app, render_template

from api.db import db
from api.models import ProcessVersionRow
from api.services.admin_scope import scope_prefixes
from api.services.versions import runtime
from api.web import bp
from api.web.common import PageError, page_login, principal
from api.web.queries import instance_counts, version_rows
from engine.lint import lint_paths


def _viewer_prefixes() -> list[str]:
    prefixes = scope_prefixes(principal(), act=False)
    if not prefixes:
        raise PageError(403, "halaman ini untuk admin dan pemantau")
    return prefixes


def lint_by_file() -> dict[str, list[str]]:
    """File name -> problems (empty: clean), for every diagram in the processes folder."""
    folder = current_app.config["ALUR_PROCESSES_DIR"]
    out: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.bpmn")) if folder.is_dir() else []:
        report = lint_paths([path], forms_dir=current_app.config["ALUR_FORMS_DIR"])
        out[path.name] = [p.format().replace(str(path), path.name) for p in report.problems]
    return out


@bp.route("/analis")
@page_login
def analyst():
    counts = instance_counts(_viewer_prefixes())
    processes = []
    for pid in runtime().process_ids():
        current = runtime().current(pid)
        rows = version_rows(pid)
        processes.append({
            "id": pid, "name": current.version.name, "current": current.number, "lanes": current.version.lanes,
            "file": next((k[5:] for k in current.version.sources if k.startswith("bpmn/")), ""),
            "versions": [{"row": r, "counts": counts.get(r.id, {}), "total": sum(counts.get(r.id, {}).values()),
                          "forms": sorted(k[6:] for k in r.sources if k.startswith("forms/"))} for r in reversed(rows)],
        })
    return render_template("analyst.html", processes=processes, lint=lint_by_file())


def _row(process_id: str, number: int) -> ProcessVersionRow:
    row = db.session.execute(
        db.select(ProcessVersionRow).filter_by(process_id=process_id, number=number)
    ).scalar_one_or_none()
    if row is None:
        raise PageError(404, "versi proses tidak ditemukan")
    return row


@bp.route("/analis/<process_id>/v<int:number>")
@page_login
def diagram_page(process_id: str, number: int):
    _viewer_prefixes()
    row = _row(process_id, number)
    ref = runtime().by_row(row.id)
    tasks = sorted(ref.version.tasks.values(), key=lambda t: (t.lane or "", t.element_id))
    return render_template("diagram.html", ref=ref, row=row, tasks=tasks)


@bp.route("/analis/<process_id>/v<int:number>/diagram.xml")
@page_login
def diagram_xml(process_id: str, number: int) -> Response:
    _viewer_prefixes()
    row = _row(process_id, number)
    return Response(runtime().by_row(row.id).version.bpmn_source(), mimetype="application/xml")
