"""Who may read the reporter's identity, and what the data and outgoing messages look like for everyone else."""

from __future__ import annotations

from typing import Any

from api.auth import Principal
from api.models import Instance
from api.outbox import CONTACT_KEYS
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
