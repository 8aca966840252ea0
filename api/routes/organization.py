"""The organization for admins of every region: roles, units, regions, users with grants; CSV in and out."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from api.auth import Principal, require_login
from api.db import db
from api.errors import ApiError, invalid
from api.schemas import (
    CsvImportAnswerSchema,
    OkSchema,
    OrgListSchema,
    RegionInSchema,
    RoleInSchema,
    UnitInSchema,
    UserInSchema,
    answers,
)
from api.services import organization as org

blp = Blueprint("organization", __name__, url_prefix="/api/v1/organization",
                description="Organisasi: peran, unit, wilayah dan pengguna beserta haknya")
# API names of the kinds -> the CSV kinds (and the column names of their files).
KINDS = {"roles": "peran", "units": "unit", "regions": "wilayah", "users": "pengguna"}


def require_org_admin() -> Principal:
    """The organization is shared by every region: only an Admin granted everywhere ('') changes it."""
    principal = require_login()
    if "" not in principal.prefixes(current_app.config["ALUR_ADMIN_ROLE"]):
        raise ApiError(403, "forbidden", "hanya admin seluruh wilayah yang dapat mengelola organisasi")
    return principal


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ApiError(404, "not_found", "jenis data tidak ditemukan: roles, units, regions atau users")
    return KINDS[kind]


@blp.route("/<kind>", methods=["GET"])
@answers(blp, 200, OrgListSchema, 401, 403, 404)
def list_kind(kind: str) -> dict[str, Any]:
    """Every role (with the processes whose lanes use it), unit, region or user (with grants)."""
    require_org_admin()
    listing = {"peran": org.list_roles, "unit": org.list_units, "wilayah": org.list_regions,
               "pengguna": org.list_users}
    return {"items": listing[_kind(kind)]()}


@blp.route("/roles", methods=["POST"])
@blp.arguments(RoleInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422)
def save_role(body: dict[str, Any]) -> dict[str, Any]:
    """Create a role or change its description."""
    require_org_admin()
    org.save_role(body["name"], body["description"])
    db.session.commit()
    return {"ok": True}


@blp.route("/units", methods=["POST"])
@blp.arguments(UnitInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422)
def save_unit(body: dict[str, Any]) -> dict[str, Any]:
    """Create or change a unit: code (ASCII slug), name, kind, parent unit, region."""
    require_org_admin()
    org.save_unit({"kode": body["code"], "nama": body["name"], "jenis": body["kind"], "induk": body["parent"] or "",
                   "wilayah": body["region"]})
    db.session.commit()
    return {"ok": True}


@blp.route("/regions", methods=["POST"])
@blp.arguments(RegionInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422)
def save_region(body: dict[str, Any]) -> dict[str, Any]:
    require_org_admin()
    org.save_region({"kode": body["code"], "nama": body["name"], "tingkat": body["level"],
                     "induk": body["parent"] or ""})
    db.session.commit()
    return {"ok": True}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422)
def save_user(body: dict[str, Any]) -> dict[str, Any]:
    """Create or change a user; `grants` (when sent) replace the user's grants."""
    require_org_admin()
    grants = None if body["grants"] is None else [
        org.GrantSpec(g["role"], g["region_prefix"], g["unit"] or None) for g in body["grants"]]
    org.save_user(body["username"], body["full_name"], body["email"], body["password"], body["active"], grants)
    db.session.commit()
    return {"ok": True}


@blp.route("/<kind>/<path:key>", methods=["DELETE"])
@answers(blp, 200, OkSchema, 401, 403, 404, 409, 415)
def remove(kind: str, key: str) -> dict[str, Any]:
    """Remove a role or unit (409 naming why while tasks, instances or lanes need it), a region, or a user
    (deactivated and stripped of grants: the history keeps naming them)."""
    require_org_admin()
    removers = {"peran": org.remove_role, "unit": org.remove_unit, "wilayah": org.remove_region,
                "pengguna": org.remove_user}
    removers[_kind(kind)](key)
    return {"ok": True}


@blp.route("/<kind>.csv", methods=["GET"])
@answers(blp, 200, None, 401, 403, 404, content_type="text/csv")
def export(kind: str) -> Response:
    """The CSV of a kind (the file the import takes back); users: one line per grant."""
    require_org_admin()
    name = _kind(kind)
    return Response(org.export_csv(name), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@blp.route("/<kind>.csv", methods=["PUT"])
@answers(blp, 200, CsvImportAnswerSchema, 401, 403, 404, 413, 415, 422)
@blp.doc(requestBody={"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "required": ["csv"], "properties": {"csv": {"type": "string"}}}},
}})
def import_csv(kind: str) -> dict[str, Any]:
    """Create or update every line of the CSV (body `text/csv`, or JSON `{"csv": "..."}`); all or nothing,
    errors name line and column."""
    require_org_admin()
    name = _kind(kind)
    raw = request.get_data(cache=True)  # a body over the request limit is refused here (413)
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("csv"), str):
            raise invalid([{"field": "csv", "message": "isi berkas CSV sebagai teks wajib diisi"}])
        text = body["csv"]
    elif request.mimetype == "text/csv":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid([{"field": "berkas", "message": "bukan teks UTF-8"}]) from None
    else:
        raise ApiError(415, "unsupported_media_type", "kirim berkas CSV dengan Content-Type: text/csv")
    result = org.import_csv(name, text)
    return {"message": result.message(), "created": result.created, "updated": result.updated}
