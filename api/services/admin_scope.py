"""Who may inspect or act on instances (admins, report viewers), and an instance described for them.

Shared by the JSON routes and the admin pages, so both apply the same scope and redaction.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from api.auth import Principal, require_login
from api.db import db
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage, PendingTask
from api.presenters import history, instance_summary, iso, task_item, usernames
from api.regions import contains
from api.services import case_links, privacy
from api.services.versions import runtime
from engine import InstanceView, StateError, now


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


def describe(instance: Instance, principal: Principal) -> dict[str, Any]:
    """Status, version, data, ready/completed tasks, timers, errors, the audit trail and the outbox."""
    ref = runtime().by_row(instance.version_id)
    moment = now()
    rows = list(db.session.execute(db.select(PendingTask).filter_by(instance_id=instance.id)).scalars())
    names = usernames({r.claimed_by_id for r in rows})
    events = history(instance, ref, principal)
    body = instance_summary(instance, ref, moment)
    try:
        view = runtime().engine.inspect(ref.version, instance.state)
    except StateError as exc:  # still show what is stored beside it: the trail says what happened
        body.update(_UNREADABLE, state_problem=f"keadaan tersimpan tidak dapat dibaca: {exc}")
    else:
        body.update(_engine_view(view, events), state_problem=None,
                    data=privacy.redact(view.data, instance, ref.version, principal))
    body.update({
        "tasks": [task_item(r, moment, names) for r in rows],
        "events": events,
        "links": case_links.links_of(instance),
        "outbox": [outbox_json(m, instance, principal) for m in db.session.execute(
            db.select(OutboxMessage).filter_by(instance_id=instance.id).order_by(OutboxMessage.id)).scalars()],
    })
    return body


# What the engine part of `describe` says when the stored state cannot be loaded.
_UNREADABLE: dict[str, Any] = {"engine_status": "unreadable", "data": {}, "completed": [], "timers": [],
                               "errors": [], "active_elements": []}


def _engine_view(view: InstanceView, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "engine_status": view.status,
        "completed": [{"task_id": s.task_id, "name": s.name, "title": s.title, "lane": s.lane,
                       "finished_at": iso(s.finished), "human": s.human} for s in view.completed],
        "timers": [{"task_id": t.task_id, "name": t.name, "due_at": iso(t.due)} for t in view.timers],
        "errors": [{"task_id": s.task_id, "name": s.name, "title": s.title,
                    "message": _error_message(events, s.task_id)} for s in view.errored],
        "active_elements": view.active_elements,
    }


def _error_message(events: list[dict[str, Any]], task_id: str) -> str | None:
    """What the engine said when this step failed: the newest error event of the task."""
    for event in reversed(events):
        if event["kind"] == "error" and event.get("task_id") == task_id:
            return (event.get("detail") or {}).get("message")
    return None


def outbox_json(row: OutboxMessage, instance: Instance, principal: Principal) -> dict[str, Any]:
    """One outgoing message for an admin-scope reader, the address hidden by the rule that hides the data."""
    body = {
        "id": row.id, "instance_id": row.instance_id, "name": row.name, "channel": row.channel,
        "recipient": row.recipient, "status": row.status, "attempts": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at), "last_error": row.last_error,
        "created_at": iso(row.created_at), "sent_at": iso(row.sent_at), "payload": row.payload,
    }
    return privacy.redact_message(body, instance, runtime().by_row(instance.version_id).version, principal)
