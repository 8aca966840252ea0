"""Roles, units, regions and users as admins write them (api/routes/organization.py).

Shared shapes are in api/schemas.py.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import REGION_PATTERN, Matching, Text, answer
from api.services.organization import (
    REGION_CODE_RULE,
    REGION_LEVELS,
    ROLE_NAME_RULE,
    UNIT_CODE_RULE,
    UNIT_KINDS,
    USERNAME_RULE,
)
from api.zones import ZONES

_NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"  # no NUL, and more than white space
_NOT_BLANK_RULE = "wajib diisi, tidak hanya spasi"
# A role name: no control characters, no @ , ; (they separate role, region and unit in a grant), no edge spaces.
_ROLE_NAME = "^[^\\s\\u0000-\\u001f@,;]([^\\u0000-\\u001f@,;]*[^\\s\\u0000-\\u001f@,;])?$"
_UNIT_CODE = "^[a-z0-9][a-z0-9_.-]*$"  # api.services.organization.UNIT_CODE, its length in maxLength
_USERNAME = "^[A-Za-z0-9_.-]+$"
_REGION_CODE = "^[0-9A-Za-z]+([./][0-9A-Za-z]+)*$"  # api.regions.is_valid_path, not empty

# What these operations check beyond their schemas, stated in their 422.
REFERENCES_CHECKED = ("isian tidak valid; juga bila yang dirujuk tidak ada (parent, region, grants.<i>.role, "
                      "grants.<i>.region_prefix, grants.<i>.unit), unit hak berada di wilayah lain, wilayah tidak "
                      "melanjutkan kode atau tingkat induknya, email tidak sah, atau pengguna baru tanpa kata sandi "
                      "(password): `fields` menyebut setiap kesalahan dengan nama isian permintaan")
CSV_CHECKED = ("setiap baris CSV diperiksa (kepala kolom jenis itu, nilai, rujukan); satu baris salah menolak "
               "seluruh berkas: `fields` menyebut baris dan kolomnya")


OrgListSchema = answer("OrgListSchema", {"items": [dict]})


class RoleInSchema(Schema):
    name = Matching(_ROLE_NAME, required=True, reason=ROLE_NAME_RULE, validate=validate.Length(min=1, max=100),
                    metadata={"description": "nama peran: tanpa karakter kendali, tanpa @ , ; dan spasi di tepi"})
    description = Text(load_default="", validate=validate.Length(max=300))


class UnitInSchema(Schema):
    code = Matching(_UNIT_CODE, required=True, reason=UNIT_CODE_RULE, validate=validate.Length(min=1, max=100),
                    metadata={"description": "kode unit: huruf kecil ASCII, angka, _ . - (mis. dpupr)"})
    name = Matching(_NOT_BLANK, required=True, reason=_NOT_BLANK_RULE, validate=validate.Length(min=1, max=200))
    kind = Text(required=True, validate=validate.OneOf(UNIT_KINDS), metadata={"description": "jenis unit"})
    parent = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                  metadata={"description": "kode unit induk; harus sudah ada (422 bila tidak)"})
    region = Text(load_default="", validate=validate.Length(max=100),
                  metadata={"description": "kode wilayah", "pattern": REGION_PATTERN})


class RegionInSchema(Schema):
    code = Matching(_REGION_CODE, required=True, reason=REGION_CODE_RULE, validate=validate.Length(min=1, max=100))
    name = Matching(_NOT_BLANK, required=True, reason=_NOT_BLANK_RULE, validate=validate.Length(min=1, max=200))
    level = Text(required=True, validate=validate.OneOf(REGION_LEVELS), metadata={"description": "tingkat wilayah"})
    parent = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                  metadata={"description": "kode wilayah induk; harus sudah ada (422 bila tidak)"})
    time_zone = Text(allow_none=True, validate=validate.OneOf([*ZONES, ""]), metadata={
        "description": "zona waktu kantor di wilayah ini (Asia/Jakarta = WIB, Asia/Makassar = WITA, "
                       "Asia/Jayapura = WIT); kosong atau null: ikut wilayah induk (paling atas WIB); "
                       "tidak dikirim: tetap seperti tersimpan"})


class GrantInSchema(Schema):
    role = Text(required=True, validate=validate.Length(min=1, max=100),
                metadata={"description": "peran yang sudah ada (422 bila tidak)"})
    region_prefix = Text(load_default="", validate=validate.Length(max=100), metadata={"pattern": REGION_PATTERN})
    unit = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                metadata={"description": "unit yang sudah ada (422 bila tidak)"})


class UserInSchema(Schema):
    username = Matching(_USERNAME, required=True, reason=USERNAME_RULE, validate=validate.Length(min=1, max=80))
    full_name = Text(load_default="", validate=validate.Length(max=200))
    email = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    password = Text(load_default=None, allow_none=True, validate=validate.Length(min=8, max=200),
                    metadata={"description": "wajib untuk pengguna baru (422 bila tidak ada)"})
    active = fields.Boolean(load_default=True)
    grants = fields.List(fields.Nested(GrantInSchema), load_default=None, allow_none=True,
                         metadata={"description": "bila dikirim, menggantikan semua hak pengguna"})


CsvImportAnswerSchema = answer("CsvImportAnswerSchema", {"message": str, "created": int, "updated": int})
