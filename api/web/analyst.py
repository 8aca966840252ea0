"""Analyst: processes and their versions, uploading changed files, the readable diff, moving running instances.

The version list shows who deployed each version, from where and why, the lint of the
files stored with it (what instances run on, not what happens to be on disk) and how
many instances run on it. Analysts see counts only; the instances themselves are the
admins' and report viewers' pages. The upload and the migration use the same services
as the JSON API (`api/services/deploy.py`, `api/services/migration.py`).
"""

from __future__ import annotations

import difflib
import json
import time
from collections import Counter
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from api.auth import Principal
from api.db import db
from api.models import ORIGIN_CLI, ORIGIN_FILES, ORIGIN_UPLOAD, Instance, ProcessVersionRow
from api.services import deploy as deploys
from api.services import migration
from api.services.admin_scope import scope_prefixes
from api.services.instances import Actor
from api.services.versions import lint_sources, runtime
from api.web import bp
from api.web.common import PageError, page_login, principal
from api.web.queries import in_regions, instance_counts, version_rows

ORIGIN_NAMES = {ORIGIN_FILES: "berkas di server", ORIGIN_CLI: "baris perintah", ORIGIN_UPLOAD: "unggahan"}
# Instances a migration can still move; finished ones stay on their version and are only counted.
OPEN_STATUSES = ("running", "waiting", "error", "suspended")
SHOWN_RESULTS = 50  # instances listed one by one under the dry-run totals
# Wall-clock seconds a page spends checking or moving instances, well inside the server's request timeout;
# what is left is said on the page (the dry run) or done by sending the form again (the migration).
PAGE_BUDGET_SECONDS = 20.0
NOTE_LIMIT = 2000
SCRIPT_KEYS = {"script", "pre_script", "post_script"}
CHANGE_LABELS = {
    "name": "nama", "lane": "peran", "form": "berkas formulir", "ui_form": "berkas UI formulir",
    "form_content": "isian formulir", "script": "script", "pre_script": "script sebelum (pre-script)",
    "post_script": "script sesudah (post-script)", "timer": "ekspresi timer", "kind": "jenis elemen",
}


def _viewer() -> Principal:
    who = principal()
    if not deploys.may_view_versions(who):
        raise PageError(403, "halaman ini untuk analis proses, admin dan pemantau")
    return who


def _count_prefixes(who: Principal) -> list[str]:
    """Regions whose instances are counted: the viewer's admin/monitor grants and any analyst grant."""
    return sorted(set(scope_prefixes(who, act=False)) | set(deploys.manager_prefixes(who)))


def _row(process_id: str, number: int) -> ProcessVersionRow:
    row = db.session.execute(
        db.select(ProcessVersionRow).filter_by(process_id=process_id, number=number)
    ).scalar_one_or_none()
    if row is None:
        raise PageError(404, "versi proses tidak ditemukan")
    return row


def _version_item(row: ProcessVersionRow, current_id: int, counts: dict[str, int], roles: set[str]) -> dict[str, Any]:
    return {
        "row": row, "current": row.id == current_id, "counts": counts, "total": sum(counts.values()),
        "origin": ORIGIN_NAMES.get(row.origin, row.origin), "lint": lint_sources(row.sources, roles),
        "forms": sorted(k.removeprefix("forms/") for k in row.sources if k.startswith("forms/")),
    }


@bp.route("/analis")
@page_login
def analyst():
    who = _viewer()
    counts = instance_counts(_count_prefixes(who))
    roles = deploys.known_roles()
    processes = []
    for pid in runtime().process_ids():
        current = runtime().current(pid)
        versions = [_version_item(r, current.row_id, counts.get(r.id, {}), roles) for r in reversed(version_rows(pid))]
        processes.append({
            "id": pid, "name": current.version.name, "current": current.number, "lanes": current.version.lanes,
            "file": next((k[5:] for k in current.version.sources if k.startswith("bpmn/")), ""),
            "versions": versions,
        })
    return render_template("analyst.html", processes=processes, can_deploy=deploys.may_deploy(who),
                           can_list_instances=bool(scope_prefixes(who, act=False)))


@bp.route("/analis/<process_id>/v<int:number>")
@page_login
def diagram_page(process_id: str, number: int):
    _viewer()
    row = _row(process_id, number)
    ref = runtime().by_row(row.id)
    tasks = sorted(ref.version.tasks.values(), key=lambda t: (t.lane or "", t.element_id))
    return render_template("diagram.html", ref=ref, row=row, tasks=tasks)


@bp.route("/analis/<process_id>/v<int:number>/diagram.xml")
@page_login
def diagram_xml(process_id: str, number: int) -> Response:
    _viewer()
    row = _row(process_id, number)
    return Response(runtime().by_row(row.id).version.bpmn_source(), mimetype="application/xml")


# -- upload --------------------------------------------------------------------------------


def _deployer() -> Principal:
    who = principal()
    if not deploys.may_deploy(who):
        raise PageError(403, "hanya analis proses atau admin seluruh wilayah yang dapat memasang versi")
    return who


def upload_limit() -> int:
    return int(current_app.config.get("ALUR_DEPLOY_MAX_BYTES", 8_000_000))


def _uploaded_files() -> tuple[dict[str, bytes], list[str]]:
    """The chosen files by the name the deploy expects; a bare form file name is placed by the diagrams naming it."""
    folder = request.form.get("folder", "").strip()
    chosen = [f for f in request.files.getlist("berkas") if f.filename]
    contents = [(f.filename, f.read()) for f in chosen]
    diagrams = {name: data.decode("utf-8", "replace") for name, data in contents if name.endswith(".bpmn")}
    files: dict[str, bytes] = {}
    for name, data in contents:
        files[name if name.endswith(".bpmn") else deploys.form_upload_name(name, folder, diagrams)] = data
    return files, [name for name, _ in contents]


@bp.route("/analis/unggah", methods=["GET"])
@page_login
def upload_page():
    _deployer()
    return render_template("upload.html", result=None, note="", folder="", dry_run=False, limit=upload_limit())


@bp.route("/analis/unggah", methods=["POST"])
@page_login
def upload_submit():
    who = _deployer()
    note = request.form.get("catatan", "").strip()
    if len(note) > NOTE_LIMIT:
        raise PageError(422, f"catatan paling banyak {NOTE_LIMIT} karakter")
    dry_run = bool(request.form.get("periksa_saja"))
    files, names = _uploaded_files()
    result = deploys.deploy(files, who.user.username, ORIGIN_UPLOAD, note or None, dry_run=dry_run,
                            create_roles=bool(request.form.get("buat_peran")))
    status = 422 if not result.ok else 201 if result.changed and not dry_run else 200
    return render_template("upload.html", result=result, names=names, note=note,
                           folder=request.form.get("folder", ""), dry_run=dry_run, limit=upload_limit()), status


# -- diff and migration ----------------------------------------------------------------------


def _numbers(process_id: str, args: Any) -> tuple[int, int]:
    """(from, to) version numbers from `dari`/`ke`; defaults: the one before the current, and the current."""
    current = runtime().current(process_id)
    if current is None:
        raise PageError(404, "proses tidak ditemukan")

    def number(name: str, default: int) -> int:
        raw = args.get(name, "")
        if raw == "":
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
            raise PageError(422, f"{name}: nomor versi harus bilangan bulat positif")
        return int(raw)

    to_number = number("ke", current.number)
    return number("dari", max(to_number - 1, 1)), to_number


def _dry_run(process_id: str, from_number: int, to_number: int, prefixes: list[str]) -> dict[str, Any]:
    """Totals of the dry run for the open instances on `from_number`: movable, refused by reason, timers moved.

    Checked in chunks until the page's time budget is spent; the page then says how many were checked.
    """
    target = migration.target_version(process_id, to_number)
    ids = migration.select_instances(process_id, target=target, from_version=from_number, statuses=OPEN_STATUSES,
                                     prefixes=prefixes)
    results: list[migration.InstanceResult] = []
    started = time.monotonic()
    for first in range(0, len(ids), migration.CHUNK):
        if time.monotonic() - started > PAGE_BUDGET_SECONDS:
            break
        results += migration.dry_run(process_id, ids[first:first + migration.CHUNK], target, prefixes).results
    reasons = Counter(reason for r in results if not r.ok for reason in r.reasons)
    return {
        "open": len(ids), "total": len(results), "movable": sum(r.ok for r in results),
        "refused": sum(not r.ok for r in results), "reasons": reasons.most_common(),
        "timers": sum(bool(r.timers) for r in results),
        "shown": results[:SHOWN_RESULTS], "finished": _finished_on(process_id, from_number, prefixes),
    }


def _finished_on(process_id: str, number: int, prefixes: list[str]) -> int:
    query = db.select(db.func.count()).select_from(Instance).join(
        ProcessVersionRow, ProcessVersionRow.id == Instance.version_id
    ).where(Instance.process_id == process_id, ProcessVersionRow.number == number,
            Instance.status.not_in(OPEN_STATUSES))
    return db.session.execute(in_regions(query, prefixes)).scalar() or 0


def script_lines(old: Any, new: Any) -> list[tuple[str, str]]:
    """A changed script as (kind, line): "-" removed, "+" added, " " context, "..." skipped; [] if not two texts."""
    if not isinstance(old, str) or not isinstance(new, str):
        return []
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        out.append(("...", "…") if line.startswith("@@") else (line[:1], line[1:]))
    return out


def _with_script_lines(diff: dict[str, Any]) -> dict[str, Any]:
    for task in diff["tasks_changed"]:
        for key, change in task.get("changes", {}).items():
            if key in SCRIPT_KEYS:
                change["lines"] = script_lines(change.get("old"), change.get("new"))
    return diff


@bp.route("/analis/<process_id>/beda")
@page_login
def diff_page(process_id: str):
    who = _viewer()
    from_number, to_number = _numbers(process_id, request.args)
    diff = _with_script_lines(migration.diff_json(process_id, from_number, to_number))
    managers = deploys.manager_prefixes(who)
    check = _dry_run(process_id, from_number, to_number, managers) if managers else None
    markers_old, markers_new = _diff_markers(diff)
    return render_template(
        "diff.html", diff=diff, process_id=process_id, name=runtime().current(process_id).version.name,
        markers_old=markers_old, markers_new=markers_new,
        numbers=[r.number for r in reversed(version_rows(process_id))], check=check, labels=CHANGE_LABELS,
        can_list_instances=bool(scope_prefixes(who, act=False)),
    )


def _diff_markers(diff: dict[str, Any]) -> tuple[str, str]:
    """The elements and flows to mark on each diagram (JSON): removed and changed on the old, added and changed
    on the new."""
    changed = [t["id"] for t in diff["tasks_changed"]] + [f["id"] for f in diff["flows_changed"]]
    old = {"hapus": [t["id"] for t in diff["tasks_removed"]] + [f["id"] for f in diff["flows_removed"]],
           "ubah": changed}
    new = {"tambah": [t["id"] for t in diff["tasks_added"]] + [f["id"] for f in diff["flows_added"]],
           "ubah": changed}
    return json.dumps(old), json.dumps(new)


@bp.route("/analis/<process_id>/pindahkan", methods=["POST"])
@page_login
def migrate_submit(process_id: str):
    who = _viewer()
    prefixes = deploys.manager_prefixes(who)
    if not prefixes:
        raise PageError(403, "hanya analis proses atau admin yang dapat memindahkan kasus")
    from_number, to_number = _numbers(process_id, request.form)
    back = url_for("web.diff_page", process_id=process_id, dari=from_number, ke=to_number)
    if request.form.get("konfirmasi") != "1":
        flash("Centang konfirmasi untuk memindahkan kasus.", "galat")
        return redirect(back)
    target = migration.target_version(process_id, to_number)
    ids = migration.select_instances(process_id, target=target, from_version=from_number, statuses=OPEN_STATUSES,
                                     prefixes=prefixes)
    actor, results, started = Actor(who.user.username, who.user.id), [], time.monotonic()
    for instance_id in ids:  # each in its own transaction: stopping early leaves every instance whole
        if time.monotonic() - started > PAGE_BUDGET_SECONDS:
            break
        results.append(migration.migrate_one(process_id, instance_id, target, actor, prefixes))
    moved = sum(r.outcome == "migrated" for r in results)
    timers = sum(bool(r.timers) for r in results)
    left = len(ids) - len(results)
    flash(f"{moved} kasus dipindahkan dari v{from_number} ke v{to_number}; {len(results) - moved} tidak dipindahkan"
          + (f"; penanda waktu dihitung ulang pada {timers} kasus" if timers else "")
          + (f"; {left} belum diproses: kirim lagi untuk melanjutkan, atau pakai `alur migrate`" if left else "")
          + ".", "sukses" if moved or not results else "galat")
    return redirect(back)
