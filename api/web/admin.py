"""Admin: instances with filters; one instance with its diagram, data, events; act on it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.errors import ApiError
from api.presenters import inspection_detail
from api.regions import is_valid_path
from api.schemas import MAX_ID
from api.services import admin as admin_service
from api.services.admin_scope import (
    INSTANCE_SORTS,
    InstanceFilters,
    inspect,
    instance_list_query,
    scope_prefixes,
    scoped_instance,
)
from api.services.instances import Actor
from api.services.versions import runtime
from api.web import bp
from api.web.common import (
    STATUS_NAMES,
    PageError,
    list_page,
    page_login,
    period,
    period_problems,
    principal,
    query_with,
)
from api.web.queries import last_error, region_names, version_rows
from api.web.tasks import context_rows
from engine import now

PER_PAGE = 25


def _prefixes(act: bool) -> list[str]:
    prefixes = scope_prefixes(principal(), act=act)
    if not prefixes:
        raise PageError(403, "halaman ini untuk admin" + ("" if act else " dan pemantau"))
    return prefixes


@bp.route("/admin/instance")
@page_login
def admin_instances():
    prefixes = _prefixes(act=False)
    args = request.args
    moment = now()
    processes = {pid: runtime().current(pid).version.name for pid in runtime().process_ids()}
    filters, problems = _list_filters(args, processes)
    sort = args.get("urut") if args.get("urut") in INSTANCE_SORTS else ""
    descending = args.get("arah", "turun") != "naik"
    rows: list = []
    paging, pages = {"page": 1, "per_page": PER_PAGE, "total": 0, "total_capped": False}, 1
    if not problems:  # a list narrowed by a misread filter would look like "no such cases"
        rows, paging, pages = list_page(instance_list_query(prefixes, filters, moment, sort or None, descending),
                                        args, PER_PAGE)
    versions = {r.id: r.number for r in version_rows()}
    return render_template(
        "admin_list.html", rows=rows, paging=paging, pages=pages, args=args,
        processes=processes, versions=versions, regions=region_names({r.region for r in rows}), moment=moment,
        statuses=STATUS_NAMES, problems=problems, sort=sort, descending=descending, query=query_with,
    ), 422 if problems else 200


def _list_filters(args: Any, processes: dict[str, str]) -> tuple[InstanceFilters, dict[str, str]]:
    """The admin list's filters from its query string, and what is wrong with any of them (by field)."""
    problems = period_problems(args)
    process = args.get("proses") or None
    if process and process not in processes:
        problems["proses"] = "proses tidak dikenal; pilih dari daftar"
    version = args.get("versi", "")
    if version and not (version.isdigit() and int(version) <= MAX_ID):
        problems["versi"] = "nomor versi tidak sah"
    status = args.get("status") or None
    if status and status not in STATUS_NAMES:
        problems["status"] = "status tidak dikenal; pilih dari daftar"
    region = args.get("wilayah", "").strip()
    if region and not is_valid_path(region):
        problems["wilayah"] = "kode wilayah tidak sah (contoh: 33.13.05)"
    lo = hi = None
    if (args.get("dari") or args.get("sampai")) and not problems.keys() & {"dari", "sampai"}:
        lo, hi, _, _ = period(args, default_days=3650)
    filters = InstanceFilters(
        process=process, version_id=int(version) if version and "versi" not in problems else None,
        status=status, region=region or None, late=True if args.get("terlambat") else None,
        started_from=lo, started_to=hi, q=args.get("cari") or args.get("kode"))
    return filters, problems


def watchdog_reason(detail: dict) -> str | None:
    """Why the worker's watchdog stopped an errored instance with no failed step (None when it did not)."""
    if detail["status"] != "error" or detail["errors"]:
        return None
    stops = [e["detail"].get("message") for e in detail["events"]
             if e["kind"] == "timer_failed" and e["detail"].get("watchdog")]
    return (stops[-1] or "tanpa pesan") if stops else None


@bp.route("/admin/instance/<int:instance_id>")
@page_login
def admin_instance(instance_id: int):
    instance = scoped_instance(instance_id, _prefixes(act=False))
    # What the API answers: same scope, redaction and fields.
    detail = inspection_detail(inspect(instance, principal()), now())
    ref = runtime().by_row(instance.version_id)
    ready = {t["name"] for t in detail["tasks"]}
    done = sorted({c["name"] for c in detail["completed"]} - ready)
    waiting = sorted(set(detail["active_elements"]) - ready)
    markers = {"aktif": sorted(ready), "selesai": done, "menunggu": waiting,
               "galat": sorted({e["name"] for e in detail["errors"]})}
    # The engine's message of each failed step: the newest "error" event of that task.
    error_text = {e["task_id"]: e["detail"].get("message") for e in detail["events"] if e["kind"] == "error"}
    stopped = watchdog_reason(detail)
    return render_template(
        "admin_instance.html", d=detail, ref=ref, markers=json.dumps(markers), error_text=error_text, stopped=stopped,
        diagram_url=url_for("web.diagram_xml", process_id=ref.version.process_id, number=ref.number),
        context=context_rows(detail["data"], ref.version, set(), detail["region"]),
        can_act=bool(scope_prefixes(principal(), act=True)), region=detail["region"],
        parse_moment=lambda s: datetime.fromisoformat(s) if s else None,
    )


@bp.route("/admin/instance/<int:instance_id>/<action>", methods=["POST"])
@page_login
def admin_act(instance_id: int, action: str):
    who = principal()
    prefixes = _prefixes(act=True)
    instance = scoped_instance(instance_id, prefixes)
    actor = Actor(who.user.username, who.user.id)
    reason = request.form.get("alasan", "").strip()[:1000]
    try:
        if action in ("tangguhkan", "batalkan") and len(reason) < 3:
            raise ApiError(422, "invalid_input", "tuliskan alasan (minimal 3 karakter)")
        if action == "tangguhkan":
            admin_service.suspend(instance_id, reason, actor)
        elif action == "lanjutkan":
            admin_service.resume(instance_id, actor)
        elif action == "batalkan":
            admin_service.cancel(instance_id, reason, actor)
        elif action == "ulangi" and admin_service.stopped_by_watchdog(instance):
            admin_service.retry(instance_id, actor)
            flash("Kasus diserahkan kembali ke pekerja timer: penanda waktu yang jatuh tempo dijalankan pada "
                  "putaran berikutnya, dan bila gagal lagi kasus ditandai gagal dengan alasannya.", "sukses")
            return redirect(url_for("web.admin_instance", instance_id=instance_id))
        elif action == "ulangi":
            if admin_service.retry(instance_id, actor).instance.status == "error":
                message = last_error(instance_id) or "tanpa pesan"
                flash(f"Langkah dijalankan ulang tetapi gagal lagi: {message}", "galat")
                return redirect(url_for("web.admin_instance", instance_id=instance_id))
        else:
            raise PageError(404, "tindakan tidak dikenal")
        flash({"tangguhkan": "Kasus ditangguhkan.", "lanjutkan": "Kasus dilanjutkan.",
               "batalkan": "Kasus dibatalkan.",
               "ulangi": "Langkah yang gagal dijalankan ulang dan berhasil."}[action], "sukses")
    except ApiError as exc:
        flash(exc.message, "galat")
    return redirect(url_for("web.admin_instance", instance_id=instance_id))
