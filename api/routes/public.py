"""No login: the public submits through the website channel and tracks any instance by its code."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from api import outbox
from api.db import db
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage, PendingTask, RateHit, Region
from api.presenters import form_json, is_late, iso
from api.schemas import (
    DataSchema,
    PublicProcessListSchema,
    RegionListSchema,
    RegionQuerySchema,
    SubmittedSchema,
    TrackSchema,
    answers,
)
from api.services import instances
from api.services.tracking import normalize
from api.services.versions import VersionRef, runtime
from engine import now

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Layanan publik tanpa masuk")

# What the public reads for each status.
STATUS_LABELS = {
    "running": "sedang diproses",
    "waiting": "sedang diproses",
    "error": "sedang diproses",  # an internal fault is the office's business, not the reporter's
    "complete": "selesai",
    "suspended": "ditangguhkan",
    "cancelled": "dibatalkan",
}


def _public_ref(process_id: str) -> VersionRef:
    ref = runtime().current(process_id)
    if ref is None or ref.version.start.properties.get("publicStart") != "true":
        raise not_found("proses")
    return ref


@blp.route("/processes", methods=["GET"])
@answers(blp, 200, PublicProcessListSchema)
def public_processes() -> dict[str, Any]:
    """Processes the public may start, with their start forms."""
    items = []
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        if ref.version.start.properties.get("publicStart") == "true":
            items.append({"id": pid, "name": ref.version.name, "form": form_json(ref.version.start.form)})
    return {"items": items}


def _rate_limit() -> None:
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


@blp.route("/processes/<process_id>/instances", methods=["POST"])
@blp.arguments(DataSchema)
@answers(blp, 201, SubmittedSchema, 400, 404, 413, 415, 422, 429)
def submit(body: dict[str, Any], process_id: str) -> tuple[dict[str, Any], int]:
    """Submit through the website; answers the tracking code to keep."""
    ref = _public_ref(process_id)
    _rate_limit()
    instance = instances.start(ref, body["data"], instances.Actor("publik"))
    return {"tracking_code": instance.tracking_code, "status": STATUS_LABELS.get(instance.status, instance.status)}, 201


@blp.route("/track/<code>", methods=["GET"])
@answers(blp, 200, TrackSchema, 404)
def track(code: str) -> dict[str, Any]:
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


@blp.route("/regions", methods=["GET"])
@blp.arguments(RegionQuerySchema, location="query")
@answers(blp, 200, RegionListSchema, 422)
def regions(args: dict[str, Any]) -> dict[str, Any]:
    """Region picker: the children of `parent` (the top level without it)."""
    query = db.select(Region).order_by(Region.code)
    query = query.where(Region.parent == args["parent"]) if args["parent"] else query.where(Region.parent.is_(None))
    return {"items": [{"code": r.code, "name": r.name, "level": r.level} for r in db.session.execute(query).scalars()]}
