"""Kotak tugas: my tasks with filters, sorting by due moment, paging, and one-click claim/unclaim."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.errors import ApiError
from api.models import PendingTask
from api.presenters import usernames
from api.services import instances
from api.services.inbox import inbox_query
from api.services.versions import runtime
from api.web import bp
from api.web.common import list_page, page_login, principal, safe_next
from api.web.queries import region_names
from engine import now

PER_PAGE = 20


@bp.route("/tugas")
@page_login
def inbox():
    who = principal()
    args = request.args
    lane_roles = sorted({r for r, _ in who.grants})
    filters: dict[str, Any] = {
        "process": args.get("proses") or None,
        "role": args.get("peran") if args.get("peran") in lane_roles else None,
        "q": args.get("cari", "")[:200] or None,
    }
    klaim = args.get("klaim", "")
    if klaim == "saya":
        filters["mine"] = True
    elif klaim == "bebas":
        filters["claimed"] = False
    moment = now()
    if args.get("terlambat"):
        filters["due_before"] = moment
    query = inbox_query(who, filters)
    descending = args.get("urut") == "turun"
    if descending:
        query = query.order_by(None).order_by(PendingTask.sort_key.desc(), PendingTask.id.desc())
    rows, paging, pages = list_page(query, args, PER_PAGE, key=PendingTask.id)
    names = usernames({r.claimed_by_id for r in rows})
    regions = region_names({r.region for r in rows})
    processes = {pid: runtime().current(pid).version.name for pid in runtime().process_ids()}
    return render_template(
        "inbox.html", rows=rows, names=names, regions=regions, processes=processes, roles=lane_roles,
        args=args, paging=paging, pages=pages, moment=moment, me_id=who.user.id, descending=descending,
    )


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("web.inbox"))


@bp.route("/tugas/<task_id>/ambil", methods=["POST"])
@page_login
def claim(task_id: str):
    try:
        row = instances.claim(principal(), task_id)
        flash(f"Tugas \u201c{row.title}\u201d diambil: hanya Anda yang dapat menyelesaikannya.", "sukses")
    except ApiError as exc:
        flash(exc.message, "galat")
    return redirect(_back())


@bp.route("/tugas/<task_id>/lepas", methods=["POST"])
@page_login
def unclaim(task_id: str):
    try:
        row = instances.unclaim(principal(), task_id)
        flash(f"Tugas \u201c{row.title}\u201d dilepas ke kotak tugas bersama.", "sukses")
    except ApiError as exc:
        flash(exc.message, "galat")
    return redirect(_back())
