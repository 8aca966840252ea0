"""Who may inspect or act on instances (admins, report viewers), and an instance as they may see it.

Shared by the JSON routes and the admin pages, so both apply the same scope and redaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_

from api.auth import Principal, require_login
from api.db import db
from api.errors import ApiError, invalid, not_found
from api.models import Instance, OutboxMessage, PendingTask
from api.moments import iso
from api.regions import contains, is_valid_path, sql_contains
from api.results import Inspection, VersionRef
from api.services import case_links, privacy, search, trail
from api.services.versions import runtime
from engine import InstanceView, StateError


def scope_prefixes(principal: Principal, *, act: bool) -> list[str]:
    roles = [current_app.config["ALUR_ADMIN_ROLE"]]
    if not act:
        roles.append(current_app.config["ALUR_VIEWER_ROLE"])
    return [p for role in roles for p in principal.prefixes(role)]


def require_scope(act: bool) -> tuple[Principal, list[str]]:
    principal = require_login()
    prefixes = scope_prefixes(principal, act=act)
    if not prefixes:
        if act and scope_prefixes(principal, act=False):
            raise ApiError(403, "forbidden", "peran pemantau hanya dapat melihat")
        raise ApiError(403, "forbidden", "hanya admin dan pemantau yang dapat membuka halaman ini")
    return principal, prefixes


def scoped_instance(instance_id: int, prefixes: list[str]) -> Instance:
    instance = db.session.get(Instance, instance_id)
    if instance is None or not any(contains(p, instance.region) for p in prefixes):
        raise not_found("kasus")
    return instance


def inspect(instance: Instance, principal: Principal) -> Inspection:
    """The instance for an admin-scope reader: its pending tasks, engine view, trail, links and outbox,
    data and addresses redacted by the rule that hides the reporter's identity."""
    ref = runtime().by_row(instance.version_id)
    rows = list(db.session.execute(db.select(PendingTask).filter_by(instance_id=instance.id)).scalars())
    events = trail.history(instance, ref, principal)
    view: InstanceView | None
    problem: str | None
    try:
        view = runtime().engine.inspect(ref.version, instance.state)
    except StateError as exc:  # still show what is stored beside it: the trail says what happened
        view, problem, data = None, f"keadaan tersimpan tidak dapat dibaca: {exc}", {}
    else:
        problem, data = None, privacy.redact(view.data, instance, ref.version, principal)
    outgoing = [outbox_json(m, instance, principal) for m in db.session.execute(
        db.select(OutboxMessage).filter_by(instance_id=instance.id).order_by(OutboxMessage.id)).scalars()]
    links = case_links.links_of(instance, principal)
    return Inspection(instance, ref, rows, events, view, problem, data, links, outgoing)


def outbox_json(row: OutboxMessage, instance: Instance, principal: Principal) -> dict[str, Any]:
    """One outgoing message for an admin-scope reader, the address hidden by the rule that hides the data."""
    body = {
        "id": row.id, "instance_id": row.instance_id, "name": row.name, "channel": row.channel,
        "recipient": row.recipient, "status": row.status, "attempts": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at), "last_error": row.last_error,
        "created_at": iso(row.created_at), "sent_at": iso(row.sent_at), "payload": row.payload,
    }
    return privacy.redact_message(body, instance, runtime().by_row(instance.version_id).version, principal)


@dataclass(frozen=True)
class InstanceFilters:
    """What the admin list narrows by; the API and the admin page each read it from their own parameters."""

    process: str | None = None
    version_id: int | None = None
    status: str | None = None
    region: str | None = None
    late: bool | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    q: str | None = None


# The columns the admin list sorts by; the id after each keeps equal values in a stable order across pages.
INSTANCE_SORTS: dict[str, Any] = {
    "id": Instance.id, "proses": Instance.process_id, "judul": Instance.title, "wilayah": Instance.region,
    "status": Instance.status, "batas": Instance.due_at, "dimulai": Instance.created_at,
    "kode": Instance.tracking_code,
}


def instance_list_query(prefixes: list[str], filters: InstanceFilters, moment: datetime,
                        sort: str | None = None, descending: bool = True) -> Select:
    """The instances within the region prefixes that match the filters (422 for a bad region), newest first or
    by one of INSTANCE_SORTS; cases without a due moment stay last either way."""
    query = db.select(Instance).where(or_(*[sql_contains(Instance.region, p) for p in prefixes]))
    if filters.process:
        query = query.where(Instance.process_id == filters.process)
    if filters.version_id is not None:
        query = query.where(Instance.version_id == filters.version_id)
    if filters.status:
        query = query.where(Instance.status == filters.status)
    if filters.region:
        if not is_valid_path(filters.region):
            raise invalid([{"field": "region", "message": "kode wilayah tidak sah"}])
        query = query.where(sql_contains(Instance.region, filters.region))
    if filters.late is True:
        query = query.where(Instance.due_at < moment)
    elif filters.late is False:
        query = query.where(or_(Instance.due_at.is_(None), Instance.due_at >= moment))
    if filters.started_from:
        query = query.where(Instance.created_at >= filters.started_from)
    if filters.started_to:
        query = query.where(Instance.created_at < filters.started_to)
    found = search.matching(filters.q, Instance.id)
    if found is not None:
        query = query.where(found)
    column = INSTANCE_SORTS.get(sort or "", Instance.created_at)
    if column is Instance.id:
        return query.order_by(Instance.id.desc() if descending else Instance.id.asc())
    ordered = column.desc() if descending else column.asc()
    if column is Instance.due_at:
        ordered = ordered.nulls_last()
    return query.order_by(ordered, Instance.id.desc() if descending else Instance.id.asc())


def with_versions(rows: list[Instance]) -> list[tuple[Instance, VersionRef]]:
    """Each listed instance with the version it runs on, for its summary."""
    return [(row, runtime().by_row(row.version_id)) for row in rows]
