"""Who may read the reporter's identity, and what the data looks like for everyone else."""

from __future__ import annotations

from typing import Any

from api.auth import Principal
from api.models import Instance
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


def redact(data: dict[str, Any], instance: Instance, version: ProcessVersion, principal: Principal | None) -> dict:
    """The data without the personal fields when the report is anonymous or confidential and the reader may not see."""
    if not (instance.anonymous or instance.confidential) or sees_identity(principal, instance):
        return data
    personal = runtime().personal_fields(version)
    return {k: (HIDDEN if k in personal else v) for k, v in data.items()}
