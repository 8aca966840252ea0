"""No login: the public submits through the website channel and tracks any instance by its code."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.db import db
from api.models import Region
from api.presenters import form_json
from api.schemas import (
    DataSchema,
    PublicProcessListSchema,
    RegionListSchema,
    RegionQuerySchema,
    SubmittedSchema,
    TrackSchema,
    answers,
)
from api.services import idempotency, public
from api.services.versions import runtime

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Layanan publik tanpa masuk")


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


@blp.route("/processes/<process_id>/instances", methods=["POST"])
@blp.arguments(DataSchema)
@answers(blp, 201, SubmittedSchema, 400, 404, 413, 415, 422, 429)
@blp.doc(parameters=[idempotency.PARAMETER])
def submit(body: dict[str, Any], process_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Submit through the website; answers the tracking code to keep.

    The system answers what the public does not: a channel field is set to the website, and an optional
    moment received sent by the client is ignored (the moment of arrival counts, and with it the deadline).
    """
    ref = public.public_ref(process_id)
    instance, replayed = idempotency.start_once(
        f"public:{request.remote_addr or '?'}", body, lambda remember: public.submit(ref, body["data"], remember))
    answer = {"tracking_code": instance.tracking_code, "status": public.status_label(instance.status)}
    return answer, 201, {idempotency.REPLAYED_HEADER: "true"} if replayed else {}


@blp.route("/track/<code>", methods=["GET"])
@answers(blp, 200, TrackSchema, 404)
def track(code: str) -> dict[str, Any]:
    """Status, current steps with due moments, and the replies; nothing personal, only status if confidential."""
    return public.tracking(code)


@blp.route("/regions", methods=["GET"])
@blp.arguments(RegionQuerySchema, location="query")
@answers(blp, 200, RegionListSchema, 422)
def regions(args: dict[str, Any]) -> dict[str, Any]:
    """Region picker: the children of `parent` (the top level without it)."""
    query = db.select(Region).order_by(Region.code)
    query = query.where(Region.parent == args["parent"]) if args["parent"] else query.where(Region.parent.is_(None))
    return {"items": [{"code": r.code, "name": r.name, "level": r.level} for r in db.session.execute(query).scalars()]}
