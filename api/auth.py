"""Who is asking: passwords, bearer tokens and session cookies, and the roles a user holds where."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import wraps
from typing import Any

from flask import Request, current_app, g, request, session
from sqlalchemy import bindparam
from werkzeug.security import check_password_hash, generate_password_hash

from api.db import db
from api.errors import ApiError
from api.models import ApiToken, RoleGrant, Unit, User
from api.regions import contains
from engine import now

# Checked against when the username is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH: str | None = None


# The units a (role, region prefix) grant covers: None = every unit (a grant without a unit),
# else the granted units with every unit below them, expanded once per request.
UnitScope = frozenset[str] | None


@dataclass
class Principal:
    """The signed-in user with their (role, region prefix) grants and the units each grant covers."""

    user: SignedInUser
    token_id: int
    grants: list[tuple[str, str]] = field(default_factory=list)
    units: dict[tuple[str, str], UnitScope] = field(default_factory=dict)  # missing key: every unit

    def prefixes(self, role: str) -> list[str]:
        return [prefix for r, prefix in self.grants if r == role]

    def holds(self, role: str | None, region: str) -> bool:
        return any(contains(prefix, region) for prefix in self.prefixes(role or ""))

    def unit_scope(self, role: str, prefix: str) -> UnitScope:
        return self.units.get((role, prefix))

    def sees(self, role: str | None, region: str, unit: str | None) -> bool:
        """May this user see a task of lane `role` in `region` routed to `unit`? (the inbox's rule)"""
        for prefix in self.prefixes(role or ""):
            scope = self.unit_scope(role or "", prefix)
            if contains(prefix, region) and (unit is None or scope is None or unit in scope):
                return True
        return False

    @property
    def roles(self) -> set[str]:
        return {r for r, _ in self.grants}

    def is_admin_for(self, region: str) -> bool:
        return self.holds(current_app.config["ALUR_ADMIN_ROLE"], region)

    def can_view_instance(self, region: str) -> bool:
        """Admins and report viewers read instances within their prefix."""
        return self.is_admin_for(region) or self.holds(current_app.config["ALUR_VIEWER_ROLE"], region)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["ALUR_PASSWORD_METHOD"])


def check_credentials(username: str, password: str) -> User | None:
    global _DUMMY_HASH
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None or not user.active:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("x")
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_lifetime() -> timedelta:
    return timedelta(hours=current_app.config["ALUR_TOKEN_TTL_HOURS"])


def issue_token(user: User, label: str = "") -> tuple[ApiToken, str]:
    """A new login, valid for ALUR_TOKEN_TTL_HOURS; the raw token is returned once and only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    moment = now().astimezone(UTC)  # answered as stored, whatever zone the clock reads in
    token = ApiToken(user_id=user.id, token_hash=_token_digest(raw), label=label[:100], created_at=moment,
                     expires_at=moment + token_lifetime())
    db.session.add(token)
    db.session.flush()
    return token, raw


def revoke_token(token_id: int, user_id: int) -> bool:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return False
    if token.revoked_at is None:
        token.revoked_at = now()
    return True


@dataclass(frozen=True)
class SignedInUser:
    """What a request needs of its user; read with the token in one query, not as an ORM object."""

    id: int
    username: str
    full_name: str


def _principal_query(match: Any) -> Any:
    return (
        db.select(ApiToken.id, User.id, User.username, User.full_name, ApiToken.expires_at, RoleGrant.role,
                  RoleGrant.region_prefix, RoleGrant.unit)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
        .where(ApiToken.revoked_at.is_(None), User.active.is_(True), match)
    )


# Built once: this runs on every authenticated request, so token, user and grants come in one round trip.
_BY_TOKEN_HASH = _principal_query(ApiToken.token_hash == bindparam("token_hash"))
_BY_TOKEN_ID = _principal_query(ApiToken.id == bindparam("token_id"))


def _read(statement: Any, **params: Any) -> list[Any]:
    # Columns, not objects: on the connection, without the session's object machinery (a third of the cost).
    return list(db.session.connection().execute(statement, params).all())


def has_bearer(request: Request) -> bool:
    """Whether the request names a bearer token (then the token alone says who is asking)."""
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


def _load_principal() -> Principal | None:
    if has_bearer(request):
        token = request.headers["Authorization"][7:].strip()
        rows = _read(_BY_TOKEN_HASH, token_hash=_token_digest(token))
    elif "token_id" in session:
        rows = _read(_BY_TOKEN_ID, token_id=session["token_id"])
    else:
        return None
    if not rows:
        return None
    token_id, user_id, username, full_name, expires_at = rows[0][:5]
    if expires_at <= now():
        g.token_expired = True  # said apart from "not logged in", so a script knows to log in again
        return None
    grants, units = grant_scopes([(role, prefix, unit) for *_, role, prefix, unit in rows if role is not None])
    return Principal(user=SignedInUser(user_id, username, full_name), token_id=token_id, grants=grants, units=units)


def grant_scopes(
    rows: list[tuple[str, str, str | None]],
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], UnitScope]]:
    """(role, prefix, unit) grants as distinct (role, prefix) pairs and the units each pair covers.

    A unit grant covers its unit and every unit below it (a grant at an OPD sees its bidang's tasks);
    a grant without a unit on the same pair covers every unit. The unit tree is read only when the
    user has a unit grant, so the inbox itself stays one query on pending_tasks.
    """
    grants: list[tuple[str, str]] = []
    granted: dict[tuple[str, str], set[str] | None] = {}
    for role, prefix, unit in rows:
        pair = (role, prefix)
        if pair not in granted:
            grants.append(pair)
            granted[pair] = set()
        if unit is None:
            granted[pair] = None
        elif granted[pair] is not None:
            granted[pair].add(unit)
    wanted = {unit for units in granted.values() if units for unit in units}
    below = unit_descendants(wanted) if wanted else {}
    scopes: dict[tuple[str, str], UnitScope] = {}
    for pair, units in granted.items():
        if units is not None:
            scopes[pair] = frozenset(u for unit in units for u in below.get(unit, {unit}))
    return grants, scopes


def unit_descendants(codes: set[str]) -> dict[str, set[str]]:
    """Each unit code with the codes of every unit below it (the unit table is small: one query)."""
    children: dict[str | None, list[str]] = {}
    for code, parent in db.session.execute(db.select(Unit.code, Unit.parent)).all():
        children.setdefault(parent, []).append(code)
    result: dict[str, set[str]] = {}
    for code in codes:
        found, todo = {code}, [code]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:  # a cycle an admin typed must not loop
                    found.add(child)
                    todo.append(child)
        result[code] = found
    return result


def load_grants(user_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(db.select(RoleGrant.role, RoleGrant.region_prefix).filter_by(user_id=user_id)).all()
    return list(dict.fromkeys((role, prefix) for role, prefix in rows))


def principal_of(user: User, token_id: int = 0) -> Principal:
    """A principal for `user` as after a login (seeding, scripts): grants and unit scopes from the database."""
    rows = db.session.execute(
        db.select(RoleGrant.role, RoleGrant.region_prefix, RoleGrant.unit).filter_by(user_id=user.id)).all()
    grants, units = grant_scopes([tuple(r) for r in rows])
    return Principal(user=SignedInUser(user.id, user.username, user.full_name), token_id=token_id, grants=grants,
                     units=units)


def current_principal() -> Principal | None:
    if "principal" not in g:
        g.principal = _load_principal()
    return g.principal


def require_login() -> Principal:
    principal = current_principal()
    if principal is None:
        if g.get("token_expired"):
            raise ApiError(401, "token_expired", "masa berlaku token atau sesi telah habis; silakan masuk lagi")
        raise ApiError(401, "unauthorized", "silakan masuk terlebih dahulu")
    return principal


def login_required(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_login()
        return fn(*args, **kwargs)

    return wrapper
