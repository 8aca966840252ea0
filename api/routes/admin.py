"""Admins and report viewers: instances within their region prefix; admins also act on them and the outbox."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import or_

from api import outbox
from api.auth import Principal
from api.db import db
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage
from api.presenters import inspection_detail, instance_summary, page
from api.regions import sql_contains
from api.results import Acted
from api.routes.admin_schemas import (
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    OutboxMessageSchema,
    OutboxPageSchema,
    OutboxQuerySchema,
    ReasonSchema,
    RetrySchema,
)
from api.routes.guard import authorize
from api.schemas import InstanceSummarySchema, answers
from api.services import admin
from api.services.admin_scope import (
    InstanceFilters,
    inspect,
    instance_list_query,
    outbox_json,
    require_scope,
    scoped_instance,
    with_versions,
)
from api.services.instances import Actor, record
from api.words import outbox_status_name
from engine import now

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Pemantauan dan tindakan admin")


@blp.route("/instances", methods=["GET"])
@blp.arguments(InstanceQuerySchema, location="query")
@answers(blp, 200, InstancePageSchema, 401, 403, 422, description="satu halaman kasus",
         refusal="isian tidak sah, atau `started_to` sebelum `started_from` (periode terbalik)")
@authorize(partial(require_scope, act=False))
def list_instances(args: dict[str, Any]) -> dict[str, Any]:
    """Kasus di wilayah admin atau pemantau; saringan: proses, status, wilayah, terlambat, tanggal mulai, kata."""
    _principal, prefixes = require_scope(act=False)
    moment = now()
    filters = InstanceFilters(process=args["process"], status=args["status"], region=args["region"],
                              late=args["late"], started_from=args["started_from"], started_to=args["started_to"],
                              q=args["q"])
    rows, paging = page(instance_list_query(prefixes, filters, moment), args["page"], args["per_page"])
    return {"items": [instance_summary(i, ref, moment) for i, ref in with_versions(rows)], **paging}


@blp.route("/instances/<int:instance_id>", methods=["GET"])
@answers(blp, 200, InstanceDetailSchema, 401, 403, 404, description="rincian kasus")
@authorize(partial(require_scope, act=False))
def instance_detail(instance_id: int) -> dict[str, Any]:
    """Status, versi, data, tugas yang menunggu dan yang selesai, penanda waktu, kesalahan, dan jejak audit kasus."""
    principal, prefixes = require_scope(act=False)
    return inspection_detail(inspect(scoped_instance(instance_id, prefixes), principal), now())


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user.username, principal.user.id)


def _acted(done: Acted) -> dict[str, Any]:
    return instance_summary(done.instance, done.ref, now())


@blp.route("/instances/<int:instance_id>/suspend", methods=["POST"])
@blp.arguments(ReasonSchema)
@answers(blp, 200, InstanceSummarySchema, 400, 401, 403, 404, 409, 413, 415, 422,
         description="kasus sesudah ditangguhkan")
@authorize(partial(require_scope, act=True))
def suspend(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """Tangguhkan kasus: tugasnya keluar dari kotak tugas dan penanda waktunya menunggu."""
    principal, prefixes = require_scope(act=True)
    scoped_instance(instance_id, prefixes)
    return _acted(admin.suspend(instance_id, body["reason"], _actor(principal)))


@blp.route("/instances/<int:instance_id>/resume", methods=["POST"])
@answers(blp, 200, InstanceSummarySchema, 401, 403, 404, 409, 415, description="kasus sesudah dilanjutkan")
@authorize(partial(require_scope, act=True))
def resume(instance_id: int) -> dict[str, Any]:
    """Lanjutkan kasus yang ditangguhkan: tugasnya kembali, masing-masing pada yang memegangnya dulu."""
    principal, prefixes = require_scope(act=True)
    scoped_instance(instance_id, prefixes)
    return _acted(admin.resume(instance_id, _actor(principal)))


@blp.route("/instances/<int:instance_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@answers(blp, 200, InstanceSummarySchema, 400, 401, 403, 404, 409, 413, 415, 422,
         description="kasus sesudah dibatalkan")
@authorize(partial(require_scope, act=True))
def cancel(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """Batalkan kasus dengan alasannya; tidak dapat diurungkan."""
    principal, prefixes = require_scope(act=True)
    scoped_instance(instance_id, prefixes)
    return _acted(admin.cancel(instance_id, body["reason"], _actor(principal)))


@blp.route("/instances/<int:instance_id>/retry", methods=["POST"])
@blp.arguments(RetrySchema)
@answers(blp, 200, InstanceSummarySchema, 400, 401, 403, 404, 409, 413, 415, 422,
         description="kasus sesudah langkahnya dijalankan lagi")
@authorize(partial(require_scope, act=True))
def retry(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """Jalankan lagi langkah yang gagal, bila perlu sesudah datanya diperbaiki."""
    principal, prefixes = require_scope(act=True)
    scoped_instance(instance_id, prefixes)
    return _acted(admin.retry(instance_id, _actor(principal), body["task_id"], body["data"]))


@blp.route("/outbox", methods=["GET"])
@blp.arguments(OutboxQuerySchema, location="query")
@answers(blp, 200, OutboxPageSchema, 401, 403, 422, description="satu halaman pesan keluar")
@authorize(partial(require_scope, act=True))
def list_outbox(args: dict[str, Any]) -> dict[str, Any]:
    """Pesan untuk pelapor dan pengirimannya: yang gagal tetap di sini sampai terkirim."""
    principal, prefixes = require_scope(act=True)
    query = db.select(OutboxMessage).join(Instance, Instance.id == OutboxMessage.instance_id).where(
        or_(*[sql_contains(Instance.region, p) for p in prefixes])
    )
    if args["status"]:
        query = query.where(OutboxMessage.status == args["status"])
    rows, paging = page(query.order_by(OutboxMessage.id.desc()), args["page"], args["per_page"])
    owners = {i.id: i for i in db.session.execute(
        db.select(Instance).where(Instance.id.in_({r.instance_id for r in rows}))).scalars()}
    return {"items": [outbox_json(r, owners[r.instance_id], principal) for r in rows], **paging}


@blp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@answers(blp, 200, OutboxMessageSchema, 401, 403, 404, 409, 415, description="pesan dijadwalkan untuk dikirim lagi")
@authorize(partial(require_scope, act=True))
def retry_outbox(message_id: int) -> dict[str, Any]:
    """Jadwalkan pesan yang gagal atau masih menunggu agar segera dikirim lagi oleh pekerja."""
    principal, prefixes = require_scope(act=True)
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        raise not_found("pesan")
    scoped_instance(row.instance_id, prefixes)
    if row.status not in (outbox.FAILED, outbox.PENDING):
        raise ApiError(409, "invalid_status", f"pesan berstatus {outbox_status_name(row.status)}")
    outbox.retry(row)
    instance = db.session.get(Instance, row.instance_id)
    record(instance, "message_retry", _actor(principal), {"outbox_id": row.id})
    db.session.commit()
    return outbox_json(row, instance, principal)
