"""Users, grants, regions, and the demo data (one user per lane of every loaded process)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.auth import hash_password
from api.db import db
from api.models import Region, RoleGrant, User
from api.regions import is_valid_path
from api.services.versions import runtime
from engine import now

SEED_FILE = Path(__file__).with_name("seed_data.json")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    region: str


def ensure_user(username: str, password: str, full_name: str = "", *, reset_password: bool = False) -> User:
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        user = User(username=username, full_name=full_name or username, password_hash=hash_password(password),
                    active=True, created_at=now())
        db.session.add(user)
        db.session.flush()
    elif reset_password:
        user.password_hash = hash_password(password)
    return user


def grant(user: User, role: str, region_prefix: str = "") -> None:
    if not is_valid_path(region_prefix):
        raise ValueError(f"kode wilayah tidak sah: {region_prefix!r}")
    exists = db.session.execute(
        db.select(RoleGrant).filter_by(user_id=user.id, role=role, region_prefix=region_prefix)
    ).scalar_one_or_none()
    if exists is None:
        db.session.add(RoleGrant(user_id=user.id, role=role, region_prefix=region_prefix))


def seed_regions(rows: list[dict[str, Any]]) -> int:
    known = set(db.session.execute(db.select(Region.code)).scalars())
    added = 0
    for row in rows:
        if row["code"] not in known:
            db.session.add(Region(code=row["code"], name=row["name"], level=row["level"], parent=row.get("parent")))
            added += 1
    return added


def username_for(role: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", role.lower()).strip("_")


def seed_demo(seed_file: Path = SEED_FILE) -> list[DemoUser]:
    """Regions, and one user per lane of every current process (password from the seed file); idempotent."""
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    password = data["password"]
    seed_regions(data["regions"])
    lanes: list[str] = []
    for process_id in runtime().process_ids():
        for lane in runtime().current(process_id).version.lanes:
            if lane not in lanes:
                lanes.append(lane)
    wanted = [
        (username_for(lane), lane, data["lane_scopes"].get(lane, data["default_scope"]), lane) for lane in lanes
    ] + [(u["username"], u["role"], u["region"], u.get("full_name", "")) for u in data["extra_users"]]
    users = []
    for username, role, region, full_name in wanted:
        user = ensure_user(username, password, full_name, reset_password=True)
        grant(user, role, region)
        users.append(DemoUser(username, password, role, region))
    db.session.commit()
    return users
