"""Who may see a case outside the inbox, who may read the reporter's identity, and what the data and outgoing
messages look like for everyone else."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, false, or_

from api.auth import Principal
from api.models import AuditEvent, Instance, PendingTask
from api.outbox import CONTACT_KEYS
from api.regions import sql_contains
from api.services.deploy import analyst_role
from api.services.versions import runtime
from engine import ProcessVersion

HIDDEN = "(dirahasiakan)"


def flags(data: dict[str, Any]) -> tuple[bool, bool]:
    """(anonymous, confidential) as the reporter chose them in the data."""
    return data.get("anonim") is True, data.get("rahasia") is True


def sees_identity(principal: Principal | None, instance: Instance) -> bool:
    """The start lane's role (the team that receives reports) and admins see who reported."""
    if principal is None:
        return False
    if principal.is_admin_for(instance.region):
        return True
    return instance.start_lane is not None and principal.holds(instance.start_lane, instance.region)


def hides_identity(instance: Instance, principal: Principal | None) -> bool:
    """The one rule for data and messages: the report is anonymous or confidential and this reader may not know."""
    return (instance.anonymous or instance.confidential) and not sees_identity(principal, instance)


def case_scope(principal: Principal | None, lanes: Collection[str]) -> ColumnElement[bool]:
    """SQL on `Instance`: the cases of a process with these lanes that this reader may see as cases.

    Admins and report viewers see every case within their regions. A lane's holder sees the cases
    within the grant's region; when the grant is for some units only, just the cases one of whose
    tasks of that lane was routed to those units, waiting now or done (the inbox's rule, kept for the
    case's whole life: a unit never reads another unit's cases). An analyst's grant reads no case.
    """
    if principal is None:
        return false()
    readers = {current_app.config["ALUR_ADMIN_ROLE"], current_app.config["ALUR_VIEWER_ROLE"]}
    analyst = analyst_role()
    conditions = []
    for role, prefix in principal.grants:
        if role == analyst or (role not in readers and role not in lanes):
            continue
        condition = sql_contains(Instance.region, prefix)
        units = principal.unit_scope(role, prefix) if role not in readers else None
        if units is not None:
            condition = and_(condition, _routed_to(role, units))
        conditions.append(condition)
    return or_(*conditions) if conditions else false()


def _routed_to(lane: str, units: Collection[str]) -> ColumnElement[bool]:
    """SQL: a task of the case on this lane waits for, or once went to, one of the units."""
    codes = sorted(units)
    waiting = exists().where(PendingTask.instance_id == Instance.id, PendingTask.lane == lane,
                             PendingTask.unit.in_(codes))
    past = exists().where(AuditEvent.instance_id == Instance.id, AuditEvent.kind == "task_ready",
                          AuditEvent.detail["lane"].as_string() == lane,
                          AuditEvent.detail["unit"].as_string().in_(codes))
    return or_(waiting, past)


def identity_scope(principal: Principal | None) -> ColumnElement[bool]:
    """SQL on `Instance`: the cases whose reporter this reader may know (`sees_identity` for many rows)."""
    if principal is None:
        return false()
    admin = current_app.config["ALUR_ADMIN_ROLE"]
    conditions = [
        sql_contains(Instance.region, prefix) if role == admin
        else and_(Instance.start_lane == role, sql_contains(Instance.region, prefix))
        for role, prefix in principal.grants
    ]
    return or_(*conditions) if conditions else false()


def redact(data: dict[str, Any], instance: Instance, version: ProcessVersion, principal: Principal | None) -> dict:
    """The data without the personal fields when the report is anonymous or confidential and the reader may not see."""
    if not hides_identity(instance, principal):
        return data
    personal = runtime().personal_fields(version)
    return {k: (HIDDEN if k in personal else v) for k, v in data.items()}


def redact_message(
    message: dict[str, Any], instance: Instance, version: ProcessVersion, principal: Principal | None
) -> dict[str, Any]:
    """An outbox row's JSON under the same rule: the address it goes to is the reporter's identity too.

    The recipient, the payload's contact and personal fields, and any delivery error quoting the
    address (an SMTP refusal names the mailbox) are hidden; kind, text and delivery state stay.
    """
    if not hides_identity(instance, principal):
        return message
    hidden = runtime().personal_fields(version) | set(CONTACT_KEYS)
    payload = message.get("payload")
    out = dict(message)
    if isinstance(payload, dict):
        out["payload"] = {k: (HIDDEN if k in hidden else v) for k, v in payload.items()}
    recipient = message.get("recipient")
    if recipient:
        out["recipient"] = HIDDEN
        if isinstance(message.get("last_error"), str):
            out["last_error"] = message["last_error"].replace(recipient, HIDDEN)
    return out
