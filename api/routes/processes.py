"""Processes: what can be started, by whom, with which form; diagrams of any version; starting."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from api.auth import require_login
from api.db import db
from api.errors import ApiError, not_found
from api.models import ProcessVersionRow
from api.presenters import form_json, instance_summary
from api.routes.guard import authorize
from api.routes.processes_schemas import ProcessDetailSchema, ProcessListSchema
from api.schemas import FORM_CHECKED, DataSchema, InstanceSummarySchema, answers
from api.services import idempotency, instances
from api.services.versions import VersionRef, runtime
from engine import now

blp = Blueprint("processes", __name__, url_prefix="/api/v1/processes", description="Proses dan memulai kasus")


def process_json(ref: VersionRef) -> dict[str, Any]:
    version = ref.version
    return {
        "id": version.process_id,
        "name": version.name,
        "version": ref.number,
        "version_hash": version.hash,
        "lanes": version.lanes,
        "start": {
            "lane": version.start.lane,
            "form": form_json(version.start.form),
            "public": version.start.properties.get("publicStart") == "true",
            "region_field": version.start.properties.get("regionField"),
            "title_field": version.start.properties.get("titleField"),
        },
    }


def current_or_404(process_id: str) -> VersionRef:
    ref = runtime().current(process_id)
    if ref is None:
        raise not_found("proses")
    return ref


@blp.route("", methods=["GET"])
@answers(blp, 200, ProcessListSchema, 401, description="daftar proses")
def list_processes() -> dict[str, Any]:
    """Semua proses dengan versi yang berlaku, peran (lajur) dan formulir mulainya."""
    require_login()
    return {"items": [process_json(runtime().current(pid)) for pid in runtime().process_ids()]}


@blp.route("/<process_id>", methods=["GET"])
@answers(blp, 200, ProcessDetailSchema, 401, 404,
         description="proses dengan versi yang berlaku dan semua nomor versinya")
def get_process(process_id: str) -> dict[str, Any]:
    """Satu proses: versi yang berlaku, peran (lajur), formulir mulai, dan semua versinya."""
    require_login()
    body = process_json(current_or_404(process_id))
    rows = db.session.execute(
        db.select(ProcessVersionRow.number, ProcessVersionRow.hash, ProcessVersionRow.created_at)
        .filter_by(process_id=process_id).order_by(ProcessVersionRow.number)
    ).all()
    body["versions"] = [{"number": n, "hash": h, "created_at": c.isoformat()} for n, h, c in rows]
    return body


@blp.route("/<process_id>/versions/<int:number>/diagram", methods=["GET"])
@answers(blp, 200, {"type": "string"}, 401, 404, content_type="application/xml", description="XML BPMN versi itu")
def diagram(process_id: str, number: int) -> Response:
    """XML BPMN satu versi, untuk menggambar diagramnya (dengan kemajuan kasus di atasnya)."""
    require_login()
    row = db.session.execute(
        db.select(ProcessVersionRow).filter_by(process_id=process_id, number=number)
    ).scalar_one_or_none()
    if row is None:
        raise not_found("versi proses")
    xml = runtime().by_row(row.id).version.bpmn_source()
    return Response(xml, mimetype="application/xml")


def _may_start_somewhere() -> None:
    """Before the body is read: a caller who holds the start lane nowhere learns nothing of the form."""
    principal = require_login()
    ref = current_or_404(request.view_args["process_id"])
    lane = ref.version.start.lane
    if lane and lane not in principal.roles:
        raise ApiError(403, "forbidden", f"hanya peran '{lane}' di wilayah ini yang dapat memulai proses ini")


@blp.route("/<process_id>/instances", methods=["POST"])
@blp.arguments(DataSchema)
@answers(blp, 201, InstanceSummarySchema, 400, 401, 403, 404, 409, 413, 415, 422, refusal=FORM_CHECKED,
         description="kasus yang dimulai (atau yang dimulai permintaan sebelumnya dengan `Idempotency-Key` sama)")
@blp.doc(parameters=[idempotency.PARAMETER])
@authorize(_may_start_somewhere)
def start_instance(body: dict[str, Any], process_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Mulai kasus baru; data awal diperiksa terhadap formulir mulai (422 menyebut setiap isian yang salah).

    409 `duplicate_start`: proses yang menyatakan `uniqueStart` sudah punya kasus (berjalan atau selesai)
    dengan nilai isian itu, mis. forum tahunan untuk tahun yang sama; `fields` menyebut isiannya."""
    principal = require_login()
    ref = current_or_404(process_id)
    lane = ref.version.start.lane

    def may_start(region: str) -> None:
        if lane and not principal.holds(lane, region):
            raise ApiError(403, "forbidden", f"hanya peran '{lane}' di wilayah ini yang dapat memulai proses ini")

    actor = instances.Actor(principal.user.username, principal.user.id)
    started = idempotency.start_once(
        f"user:{principal.user.id}", {"process_id": process_id, **body},
        lambda remember: instances.start(ref, body["data"], actor, check=may_start, also=remember))
    answer = instance_summary(started.instance, started.ref, now())
    return answer, 201, {idempotency.REPLAYED_HEADER: "true"} if started.replayed else {}
