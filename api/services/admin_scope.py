"""Who may inspect or act on instances (admins, report viewers), and an instance as they may see it.

Shared by the JSON routes and the admin pages, so both apply the same scope and redaction.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from api.auth import Principal, require_login
from api.db import db
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage, PendingTask
from api.moments import iso
from api.regions import contains
from api.results import Inspection
from api.services import case_links, privacy, trail
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
        raise not_found("instance")
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
    return Inspection(instance, ref, rows, events, view, problem, data, case_links.links_of(instance), outgoing)


def outbox_json(row: OutboxMessage, instance: Instance, principal: Principal) -> dict[str, Any]:
    """One outgoing message for an admin-scope reader, the address hidden by the rule that hides the data."""
    body = {
        "id": row.id, "instance_id": row.instance_id, "name": row.name, "channel": row.channel,
        "recipient": row.recipient, "status": row.status, "attempts": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at), "last_error": row.last_error,
        "created_at": iso(row.created_at), "sent_at": iso(row.sent_at), "payload": row.payload,
    }
    return privacy.redact_message(body, instance, runtime().by_row(instance.version_id).version, principal)
