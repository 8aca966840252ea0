"""Login and tokens (api/routes/auth.py); shared shapes are in api/schemas.py."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import Text, answer, described


class LoginSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = Text(required=True, validate=validate.Length(min=1, max=200))
    label = Text(load_default="", validate=validate.Length(max=100), metadata={"description": "nama token"})


GrantSchema = answer("GrantSchema", {
    "role": str, "region_prefix": str,
    "units": fields.List(fields.String(), metadata={
        "description": "Hanya pada hak per unit: unit yang dicakup beserta unit di bawahnya; tanpa ini: semua unit"}),
})

UserSchema = answer("UserSchema", {"id": int, "username": str, "full_name": fields.String(allow_none=True),
                                   "roles": [GrantSchema]})

LoginAnswerSchema = answer("LoginAnswerSchema", {
    "token": str, "token_id": int,
    "expires_at": described(str, "sesudah ini token ditolak (401 token_expired)"),
    "user": UserSchema,
})

TokenSchema = answer("TokenSchema", {"id": int, "label": str, "created_at": str, "expires_at": str,
                                     "revoked_at": str | None, "current": bool})

TokenListSchema = answer("TokenListSchema", {"items": [TokenSchema]})
