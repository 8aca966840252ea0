"""What the public may do without logging in: which processes they may start, a submission rate limit,
and what tracking by code shows (nothing personal; only the status when the report is confidential).

Shared by the JSON routes and the public pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request

from api import outbox
from api.db import db
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage, PendingTask, RateHit
from api.presenters import is_late, iso
from api.services.tracking import normalize
from api.services.versions import VersionRef, runtime
from engine import now

# What the public reads for each status.
STATUS_LABELS = {
    "running": "sedang diproses",
    "waiting": "sedang diproses",
    "error": "sedang diproses",  # an internal fault is the office's business, not the reporter's
    "complete": "selesai",
    "suspended": "ditangguhkan",
    "cancelled": "dibatalkan",
}


def public_ref(process_id: str) -> VersionRef:
    ref = runtime().current(process_id)
    if ref is None or ref.version.start.properties.get("publicStart") != "true":
        raise not_found("proses")
    return ref


def rate_limit() -> None:
    """At most N submissions per client address per window, counted in the database (shared by all workers)."""
    key = f"public:{request.remote_addr or '?'}"
    moment = now()
    window = timedelta(seconds=current_app.config["ALUR_PUBLIC_WINDOW_SECONDS"])
    db.session.execute(db.delete(RateHit).where(RateHit.key == key, RateHit.at < moment - window))
    count = db.session.execute(
        db.select(db.func.count()).select_from(RateHit).where(RateHit.key == key, RateHit.at >= moment - window)
    ).scalar()
    if count >= current_app.config["ALUR_PUBLIC_LIMIT"]:
        db.session.commit()
        raise ApiError(429, "too_many_requests", "terlalu banyak kiriman dari alamat ini; coba lagi nanti")
    db.session.add(RateHit(key=key, at=moment))
    db.session.commit()


def tracking(code: str) -> dict[str, Any]:
    """Status, current steps with due moments, and the replies; nothing personal, only status if confidential."""
    instance = db.session.execute(
        db.select(Instance).filter_by(tracking_code=normalize(code))
    ).scalar_one_or_none()
    if instance is None:
        raise not_found("kode lacak")
    body: dict[str, Any] = {
        "tracking_code": instance.tracking_code,
        "status": instance.status,
        "status_label": STATUS_LABELS.get(instance.status, instance.status),
    }
    if instance.confidential:
        return body
    moment = now()
    tasks = db.session.execute(
        db.select(PendingTask).filter_by(instance_id=instance.id).order_by(PendingTask.created_at)
    ).scalars()
    messages = db.session.execute(
        db.select(OutboxMessage).filter_by(instance_id=instance.id).order_by(OutboxMessage.id)
    ).scalars()
    body.update({
        "process": runtime().by_row(instance.version_id).version.name,
        "title": instance.title,
        "submitted_at": iso(instance.created_at),
        "finished_at": iso(instance.finished_at),
        "steps": [{"title": t.title, "due_at": iso(t.due_at), "late": is_late(t.due_at, moment)} for t in tasks],
        "messages": [outbox.public_view(m) for m in messages],
    })
    return body
