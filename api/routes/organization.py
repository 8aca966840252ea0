"""The organization for admins of every region: roles, units, regions, users with grants; CSV in and out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from api.auth import Principal, require_login
from api.db import db
from api.errors import ApiError, invalid
from api.json_depth import json_body
from api.routes.organization_schemas import (
    CSV_CHECKED,
    REFERENCES_CHECKED,
    CsvImportAnswerSchema,
    OrgListSchema,
    RegionInSchema,
    RoleInSchema,
    UnitInSchema,
    UserInSchema,
)
from api.schemas import OkSchema, answers
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


# The services name a wrong value by its pengguna.csv/unit.csv column; a script sent the request's own names.
ROLE_FIELDS = {"nama": "name", "keterangan": "description"}
UNIT_FIELDS = {"kode": "code", "nama": "name", "jenis": "kind", "induk": "parent", "wilayah": "region"}
REGION_FIELDS = {"kode": "code", "nama": "name", "tingkat": "level", "induk": "parent", "zona_waktu": "time_zone"}
USER_FIELDS = {"nama_lengkap": "full_name", "kata_sandi": "password", "aktif": "active"}
GRANT_FIELDS = {"peran": "role", "wilayah": "region_prefix", "unit": "unit"}


@contextmanager
def request_fields(names: dict[str, str]) -> Iterator[None]:
    """Refusals inside name the request's fields (`names`; a grant as grants.<i>.<field>)."""
    try:
        yield
    except ApiError as exc:
        exc.fields = [{**f, "field": _request_field(f["field"], names)} for f in exc.fields]
        raise


def _request_field(field: str, names: dict[str, str]) -> str:
    head, _, rest = field.partition(".")
    if head == "hak" and rest:
        index, _, column = rest.partition(".")
        return f"grants.{index}.{GRANT_FIELDS.get(column, column)}"
    return names.get(field, field)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ApiError(404, "not_found", "jenis data tidak ditemukan: roles, units, regions atau users")
    return KINDS[kind]


@blp.route("/<kind>", methods=["GET"])
@answers(blp, 200, OrgListSchema, 401, 403, 404, description="daftar data jenis itu")
def list_kind(kind: str) -> dict[str, Any]:
    """Semua peran (dengan proses yang memakainya), unit, wilayah, atau pengguna (dengan hak aksesnya)."""
    require_org_admin()
    listing = {"peran": org.list_roles, "unit": org.list_units, "wilayah": org.list_regions,
               "pengguna": org.list_users}
    return {"items": listing[_kind(kind)]()}


@blp.route("/roles", methods=["POST"])
@blp.arguments(RoleInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422, description="peran disimpan")
def save_role(body: dict[str, Any]) -> dict[str, Any]:
    """Buat peran atau ubah keterangannya."""
    require_org_admin()
    with request_fields(ROLE_FIELDS):
        org.save_role(body["name"], body["description"])
    db.session.commit()
    return {"ok": True}


@blp.route("/units", methods=["POST"])
@blp.arguments(UnitInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422, refusal=REFERENCES_CHECKED, description="unit disimpan")
def save_unit(body: dict[str, Any]) -> dict[str, Any]:
    """Buat atau ubah unit: kode (huruf ASCII), nama, jenis, unit induk, wilayah."""
    require_org_admin()
    with request_fields(UNIT_FIELDS):
        org.save_unit({"kode": body["code"], "nama": body["name"], "jenis": body["kind"],
                       "induk": body["parent"] or "", "wilayah": body["region"]})
    db.session.commit()
    return {"ok": True}


@blp.route("/regions", methods=["POST"])
@blp.arguments(RegionInSchema)
@answers(blp, 200, OkSchema, 401, 403, 415, 422, refusal=REFERENCES_CHECKED, description="wilayah disimpan")
def save_region(body: dict[str, Any]) -> dict[str, Any]:
    """Buat atau ubah wilayah: kode, nama, tingkat, wilayah induk, zona waktu."""
    require_org_admin()
    row = {"kode": body["code"], "nama": body["name"], "tingkat": body["level"], "induk": body["parent"] or ""}
    if "time_zone" in body:
        row["zona_waktu"] = body["time_zone"] or ""
    with request_fields(REGION_FIELDS):
        org.save_region(row)
    db.session.commit()
    return {"ok": True}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserInSchema)
@answers(blp, 200, OkSchema, 401, 403, 409, 415, 422, refusal=REFERENCES_CHECKED, description="pengguna disimpan")
def save_user(body: dict[str, Any]) -> dict[str, Any]:
    """Buat atau ubah pengguna; `grants` (bila dikirim) menggantikan semua hak akses pengguna itu. 409 bila
    perubahan itu meninggalkan sistem tanpa pengguna aktif yang memegang Admin di seluruh wilayah."""
    require_org_admin()
    grants = None if body["grants"] is None else [
        org.GrantSpec(g["role"], g["region_prefix"], g["unit"] or None) for g in body["grants"]]
    with request_fields(USER_FIELDS):
        org.save_user(body["username"], body["full_name"], body["email"], body["password"], body["active"], grants)
    db.session.commit()
    return {"ok": True}


@blp.route("/<kind>/<path:key>", methods=["DELETE"])
@answers(blp, 200, OkSchema, 401, 403, 404, 409, 415, description="dihapus (pengguna: dinonaktifkan)")
def remove(kind: str, key: str) -> dict[str, Any]:
    """Hapus peran atau unit (409 dengan alasannya selama tugas, kasus, diagram, atau hak akses pengguna masih
    memerlukannya), wilayah, atau pengguna (dinonaktifkan dan dicabut hak aksesnya: riwayat tetap menyebut
    namanya; 409 bila ia admin seluruh wilayah aktif yang terakhir)."""
    require_org_admin()
    removers = {"peran": org.remove_role, "unit": org.remove_unit, "wilayah": org.remove_region,
                "pengguna": org.remove_user}
    removers[_kind(kind)](key)
    return {"ok": True}


@blp.route("/<kind>.csv", methods=["GET"])
@answers(blp, 200, None, 401, 403, 404, content_type="text/csv", description="berkas CSV")
def export(kind: str) -> Response:
    """Berkas CSV satu jenis data (berkas yang bisa diimpor kembali); pengguna: satu baris per hak akses."""
    require_org_admin()
    name = _kind(kind)
    return Response(org.export_csv(name), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@blp.route("/<kind>.csv", methods=["PUT"])
@answers(blp, 200, CsvImportAnswerSchema, 400, 401, 403, 404, 409, 413, 415, 422, refusal=CSV_CHECKED,
         description="hasil impor: jumlah baris yang dibuat dan diubah")
@blp.doc(requestBody={"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "required": ["csv"], "properties": {"csv": {"type": "string"}}}},
}})
def import_csv(kind: str) -> dict[str, Any]:
    """Buat atau perbarui setiap baris CSV (isi `text/csv`, atau JSON `{"csv": "..."}`); semua atau tidak sama
    sekali, kesalahan menyebut baris dan kolomnya. 409 bila berkas pengguna meninggalkan sistem tanpa pengguna
    aktif yang memegang Admin di seluruh wilayah."""
    require_org_admin()
    name = _kind(kind)
    raw = request.get_data(cache=True)  # a body over the request limit is refused here (413)
    if request.is_json:
        body = json_body()
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
