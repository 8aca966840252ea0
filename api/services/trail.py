"""An instance's audit trail as its reader may see it: submitted data redacted like the instance data."""

from __future__ import annotations

from typing import Any

from api.auth import Principal
from api.db import db
from api.models import AuditEvent, Instance
from api.moments import iso
from api.results import VersionRef
from api.services import privacy


def history(instance: Instance, ref: VersionRef, principal: Principal | None) -> list[dict[str, Any]]:
    """The audit trail, oldest first, with submitted data redacted like the instance data."""
    events = db.session.execute(
        db.select(AuditEvent).filter_by(instance_id=instance.id).order_by(AuditEvent.id)
    ).scalars()
    out = []
    for event in events:
        detail = dict(event.detail)
        if isinstance(detail.get("data"), dict):
            detail["data"] = privacy.redact(detail["data"], instance, ref.version, principal)
        out.append({
            "kind": event.kind,
            "actor": event.actor,
            "at": iso(event.at),
            "task_id": event.task_id,
            "task_name": event.task_name,
            # The step as the case's diagram version names it: an element id means nothing to staff.
            "task_title": ref.version.element_title(event.task_name),
            "detail": detail,
        })
    return out
