"""No login: the public submits through the website channel and tracks any instance by its code."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.db import db
from api.models import Region
from api.presenters import form_json
from api.routes.public_schemas import (
    PublicProcessListSchema,
    RegionListSchema,
    RegionQuerySchema,
    SubmittedSchema,
    TrackSchema,
)
from api.schemas import FORM_CHECKED, DataSchema, answers
from api.services import idempotency, public
from api.services.versions import runtime

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="Layanan publik tanpa masuk")


@blp.route("/processes", methods=["GET"])
@answers(blp, 200, PublicProcessListSchema, description="daftar proses untuk masyarakat")
def public_processes() -> dict[str, Any]:
    """Proses yang boleh dimulai masyarakat, dengan formulir mulainya."""
    items = []
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        if ref.version.start.properties.get("publicStart") == "true":
            items.append({"id": pid, "name": ref.version.name, "form": form_json(ref.version.start.form)})
    return {"items": items}


@blp.route("/processes/<process_id>/instances", methods=["POST"])
@blp.arguments(DataSchema)
@answers(blp, 201, SubmittedSchema, 400, 404, 413, 415, 422, 429, refusal=FORM_CHECKED,
         description="laporan diterima, dengan kode lacaknya")
@blp.doc(parameters=[idempotency.PARAMETER])
def submit(body: dict[str, Any], process_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Kirim laporan lewat situs web; jawabannya kode lacak yang perlu disimpan.

    Sistem mengisi yang tidak diisi masyarakat: isian kanal menjadi situs web, dan waktu diterima yang
    dikirim klien diabaikan (yang berlaku saat laporan benar-benar tiba, begitu pula batas waktunya).
    """
    ref = public.public_ref(process_id)
    started = idempotency.start_once(
        f"public:{request.remote_addr or '?'}", body, lambda remember: public.submit(ref, body["data"], remember))
    answer = {"tracking_code": started.instance.tracking_code, "status": public.status_label(started.instance.status)}
    return answer, 201, {idempotency.REPLAYED_HEADER: "true"} if started.replayed else {}


@blp.route("/track/<code>", methods=["GET"])
@answers(blp, 200, TrackSchema, 404, description="keadaan laporan")
def track(code: str) -> dict[str, Any]:
    """Status, langkah yang sedang berjalan dengan batas waktunya, dan tanggapan.

    Tanpa data pribadi; hanya status bila laporan rahasia.
    """
    return public.tracking(code)


@blp.route("/regions", methods=["GET"])
@blp.arguments(RegionQuerySchema, location="query")
@answers(blp, 200, RegionListSchema, 422, description="daftar wilayah")
def regions(args: dict[str, Any]) -> dict[str, Any]:
    """Pemilih wilayah: wilayah di bawah `parent` (tanpa `parent`: tingkat teratas)."""
    query = db.select(Region).order_by(Region.code)
    query = query.where(Region.parent == args["parent"]) if args["parent"] else query.where(Region.parent.is_(None))
    return {"items": [{"code": r.code, "name": r.name, "level": r.level} for r in db.session.execute(query).scalars()]}
