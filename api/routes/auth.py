"""Log in (session cookie for the web, bearer token for scripts), log out, tokens."""

from __future__ import annotations

from typing import Any

from flask import session
from flask_smorest import Blueprint

from api.auth import Principal, check_credentials, issue_token, principal_of, require_login, revoke_token
from api.db import db
from api.errors import ApiError, not_found
from api.models import ApiToken
from api.moments import iso
from api.routes.auth_schemas import LoginAnswerSchema, LoginSchema, TokenListSchema, UserSchema
from api.schemas import OkSchema, answers
from api.services import login_throttle

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Masuk, keluar dan token")


def _grant_json(principal: Principal, role: str, prefix: str) -> dict[str, Any]:
    """A grant; `units` only on a unit grant (the units it covers, with those below them)."""
    scope = principal.unit_scope(role, prefix)
    return {"role": role, "region_prefix": prefix, **({"units": sorted(scope)} if scope is not None else {})}


def user_json(principal: Principal) -> dict[str, Any]:
    user = principal.user
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "roles": [_grant_json(principal, r, p) for r, p in principal.grants],
    }


@blp.route("/login", methods=["POST"])
@blp.arguments(LoginSchema)
@answers(blp, 200, LoginAnswerSchema, 400, 401, 413, 415, 422, 429,
         description="token bearer (ditampilkan sekali ini saja) dan pengguna yang masuk")
def login(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Nama pengguna dan kata sandi -> token bearer (ditampilkan sekali) dan cookie sesi.

    Keduanya berlaku sampai `expires_at`.
    """
    login_throttle.check(body["username"])
    user = check_credentials(body["username"], body["password"])
    if user is None:
        login_throttle.failed(body["username"])
        raise ApiError(401, "invalid_credentials", "nama pengguna atau kata sandi salah")
    login_throttle.succeeded(body["username"])
    token, raw = issue_token(user, body["label"] or "login")
    db.session.commit()
    session.clear()
    session["token_id"] = token.id
    principal = principal_of(user, token.id)
    return {"token": raw, "token_id": token.id, "expires_at": iso(token.expires_at), "user": user_json(principal)}, 200


@blp.route("/logout", methods=["POST"])
@answers(blp, 200, OkSchema, 401, 415, description="token atau sesi ini dicabut")
def logout() -> dict[str, Any]:
    """Mencabut token (atau sesi) yang dipakai permintaan ini."""
    principal = require_login()
    revoke_token(principal.token_id, principal.user.id)
    db.session.commit()
    session.clear()
    return {"ok": True}


@blp.route("/me", methods=["GET"])
@answers(blp, 200, UserSchema, 401, description="pengguna yang masuk, dengan peran dan wilayahnya")
def me() -> dict[str, Any]:
    """Pengguna yang masuk: nama, peran dan wilayah setiap haknya."""
    return user_json(require_login())


@blp.route("/tokens", methods=["GET"])
@answers(blp, 200, TokenListSchema, 401,
         description="token milik pengguna ini, termasuk yang sudah dicabut atau kedaluwarsa")
def tokens() -> dict[str, Any]:
    """Token bearer milik pengguna ini, dengan masa berlakunya; yang dipakai permintaan ini ditandai."""
    principal = require_login()
    rows = db.session.execute(
        db.select(ApiToken).filter_by(user_id=principal.user.id).order_by(ApiToken.id)
    ).scalars()
    return {
        "items": [
            {"id": t.id, "label": t.label, "created_at": iso(t.created_at), "expires_at": iso(t.expires_at),
             "revoked_at": iso(t.revoked_at), "current": t.id == principal.token_id}
            for t in rows
        ]
    }


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@answers(blp, 200, OkSchema, 401, 404, 415, description="token dicabut")
def revoke(token_id: int) -> dict[str, Any]:
    """Cabut satu token milik pengguna ini; permintaan berikutnya dengan token itu ditolak."""
    principal = require_login()
    if not revoke_token(token_id, principal.user.id):
        raise not_found("token")
    db.session.commit()
    return {"ok": True}
