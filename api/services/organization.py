"""The organization as data: roles, units, regions and users with their grants.

Used by the admin pages, the admin API, the `alur` commands and the seed (which loads the demo
organization through the same functions). Each kind has one CSV form; an import is checked
whole first and stores nothing when any line is wrong, naming each wrong line and column.
Removing a role or unit that running work still needs is refused with the reason (409).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import func

from api.auth import hash_password
from api.db import affected_rows, db
from api.errors import ApiError, conflict, invalid, not_found
from api.models import ACTIVE_STATUSES, Instance, PendingTask, ProcessVersionRow, Region, Role, RoleGrant, Unit, User
from api.regions import contains, is_valid_path, sql_contains
from api.services.versions import runtime
from api.zones import forget as forget_zones
from api.zones import zone_problem
from engine import now

UNIT_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")  # ASCII slug: also a safe form value
ROLE_NAME = re.compile(r"^[^\x00-\x1f@,;]{1,100}$")  # '@' separates role and region on the command line
# What a refused name or code must look like, for the API's schemas and these checks alike.
UNIT_CODE_RULE = "kode unit: huruf kecil ASCII, angka, _ . -; diawali huruf atau angka"
ROLE_NAME_RULE = "nama peran 1-100 karakter, tanpa spasi di tepi, tanpa @ , ; dan karakter kendali"
REGION_CODE_RULE = "kode wilayah tidak sah (mis. 33.13.05 atau 33.13.05.2001/RW02)"
USERNAME_RULE = "1-80 huruf, angka, _ . - (tanpa spasi)"
UNIT_KINDS = ("opd", "bidang", "akd", "lembaga", "kecamatan", "desa", "lainnya")
REGION_LEVELS = ("provinsi", "kabupaten", "kota", "kecamatan", "desa", "kelurahan", "rw", "rt")
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "peran": ("nama", "keterangan"),
    "unit": ("kode", "nama", "jenis", "induk", "wilayah"),
    "wilayah": ("kode", "nama", "tingkat", "induk", "zona_waktu"),
    # One line per grant; a user without grants has one line with an empty role.
    "pengguna": ("username", "nama_lengkap", "email", "aktif", "kata_sandi", "peran", "wilayah", "unit"),
}
# The columns an import cannot do without; the others may be left out of the file.
CSV_REQUIRED: dict[str, tuple[str, ...]] = {"peran": ("nama",), "unit": ("kode", "nama", "jenis"),
                                            "wilayah": ("kode", "nama", "tingkat"), "pengguna": ("username",)}


@dataclass
class ImportResult:
    """What an import stored (or, with errors, would have stored: then nothing is)."""

    kind: str
    created: int = 0
    updated: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)  # {"field": "baris 3, kolom kode", "message": ...}

    def message(self) -> str:
        return f"{self.kind}: {self.created} baru, {self.updated} diperbarui"


def special_roles() -> list[str]:
    config = current_app.config
    return [config["ALUR_ADMIN_ROLE"], config["ALUR_VIEWER_ROLE"], config["ALUR_ANALYST_ROLE"]]


# -- roles --------------------------------------------------------------------------


def role_names() -> set[str]:
    return set(db.session.execute(db.select(Role.name)).scalars())


def current_lanes() -> dict[str, list[str]]:
    """Role name -> the processes whose current version has a lane of that name."""
    lanes: dict[str, list[str]] = {}
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        for lane in ref.version.lanes if ref else []:
            lanes.setdefault(lane, []).append(pid)
    return lanes


def list_roles() -> list[dict[str, Any]]:
    counts = dict(db.session.execute(
        db.select(RoleGrant.role, func.count(func.distinct(RoleGrant.user_id))).group_by(RoleGrant.role)).all())
    lanes, special = current_lanes(), set(special_roles())
    return [{"name": r.name, "description": r.description, "processes": lanes.get(r.name, []),
             "users": counts.get(r.name, 0), "special": r.name in special}
            for r in db.session.execute(db.select(Role).order_by(Role.name)).scalars()]


def _role_problem(name: str) -> str | None:
    if not ROLE_NAME.match(name) or name != name.strip():
        return ROLE_NAME_RULE
    return None


def save_role(name: str, description: str = "") -> bool:
    """Create the role or update its description; True when it is new. Does not commit."""
    problem = _role_problem(name)
    if problem:
        raise invalid([{"field": "nama", "message": problem}])
    role = db.session.get(Role, name)
    if role is None:
        db.session.add(Role(name=name, description=description[:300], created_at=now()))
        db.session.flush()
        return True
    role.description = description[:300]
    return False


def ensure_roles(names: Iterable[str], description: str = "") -> list[str]:
    """Create every role in `names` that does not exist yet (lanes of a deploy, the seed); returns those made."""
    known, made = role_names(), []
    for name in dict.fromkeys(names):
        if name and name not in known:
            save_role(name, description)
            known.add(name)
            made.append(name)
    return made


def role_in_use(name: str) -> str | None:
    """Why a role cannot go, in Indonesian, or None: a special role, a pending task, a running instance, a lane."""
    if name in special_roles():
        return f"peran '{name}' adalah peran khusus sistem (lihat konfigurasi) dan tidak dapat dihapus"
    tasks = db.session.execute(
        db.select(func.count()).select_from(PendingTask).where(PendingTask.lane == name)).scalar()
    if tasks:
        return f"peran '{name}' masih dipakai {tasks} tugas yang menunggu; selesaikan atau alihkan dulu"
    lanes = current_lanes().get(name)
    if lanes:
        return f"peran '{name}' dipakai diagram versi yang berlaku dari proses {', '.join(sorted(lanes))}"
    running = _running_versions_with_lane(name)
    if running:
        return f"peran '{name}' dipakai diagram versi yang masih dijalankan kasus aktif ({', '.join(running)})"
    return None


def _running_versions_with_lane(name: str) -> list[str]:
    """Versions that active instances still run on and that have a lane `name` (read from the cached versions)."""
    rows = db.session.execute(
        db.select(Instance.version_id, ProcessVersionRow.process_id, ProcessVersionRow.number).distinct()
        .join(ProcessVersionRow, ProcessVersionRow.id == Instance.version_id)
        .where(Instance.status.in_(ACTIVE_STATUSES))).all()
    return [f"{pid} v{number}" for version_id, pid, number in rows
            if name in runtime().by_row(version_id).version.lanes]


def remove_role(name: str) -> int:
    """Delete a role and its grants (returns how many grants went); 409 with the reason while it is needed."""
    return _remove(Role, name, "peran", "role_in_use", role_in_use, RoleGrant.role)


# -- units --------------------------------------------------------------------------


def list_units() -> list[dict[str, Any]]:
    counts = dict(db.session.execute(
        db.select(RoleGrant.unit, func.count(func.distinct(RoleGrant.user_id))).where(RoleGrant.unit.is_not(None))
        .group_by(RoleGrant.unit)).all())
    return [{"code": u.code, "name": u.name, "kind": u.kind, "parent": u.parent, "region": u.region,
             "users": counts.get(u.code, 0)}
            for u in db.session.execute(db.select(Unit).order_by(Unit.region, Unit.parent.is_not(None), Unit.code))
            .scalars()]


def unit_problems(row: dict[str, str], known: set[str], regions: set[str] | None = None) -> list[tuple[str, str]]:
    """(column, message) for everything wrong in a unit row; `known` are the unit codes that exist (or will)."""
    problems = []
    code, parent, region = row.get("kode", ""), row.get("induk") or "", row.get("wilayah", "")
    if not UNIT_CODE.match(code):
        problems.append(("kode", UNIT_CODE_RULE))
    if not row.get("nama", "").strip():
        problems.append(("nama", "wajib diisi"))
    if row.get("jenis") not in UNIT_KINDS:
        problems.append(("jenis", f"salah satu dari {', '.join(UNIT_KINDS)}"))
    if parent and parent not in known:
        problems.append(("induk", f"unit induk '{parent}' tidak ada"))
    if parent and parent == code:
        problems.append(("induk", "unit tidak dapat menjadi induk dirinya sendiri"))
    if not is_valid_path(region):
        problems.append(("wilayah", "kode wilayah tidak sah"))
    elif regions is not None and region and region not in regions:
        problems.append(("wilayah", f"wilayah '{region}' tidak ada"))
    return problems


def save_unit(row: dict[str, str]) -> bool:
    """Create or update a unit from its fields (kode, nama, jenis, induk, wilayah); True when new. Does not commit."""
    known = set(db.session.execute(db.select(Unit.code)).scalars())
    problems = unit_problems(row, known | {row.get("kode", "")}, _region_codes())
    if not problems and row.get("induk") and _would_cycle(row["kode"], row["induk"]):
        problems.append(("induk", "induk ini membuat lingkaran (unit menjadi induk dari induknya)"))
    if problems:
        raise invalid([{"field": column, "message": message} for column, message in problems])
    unit = db.session.get(Unit, row["kode"])
    new = unit is None
    if unit is None:
        unit = Unit(code=row["kode"])
        db.session.add(unit)
    unit.name, unit.kind = row["nama"].strip()[:200], row["jenis"]
    unit.parent, unit.region = row.get("induk") or None, row.get("wilayah", "")
    db.session.flush()
    return new


def _would_cycle(code: str, parent: str) -> bool:
    parents = dict(db.session.execute(db.select(Unit.code, Unit.parent)).all())
    seen: set[str] = {code}
    at: str | None = parent
    while at:
        if at in seen:
            return True
        seen.add(at)
        at = parents.get(at)
    return False


def unit_in_use(code: str) -> str | None:
    """Why a unit cannot go, in Indonesian, or None: every reason at once, so one answer says all to undo first."""
    reasons = []
    tasks = db.session.execute(
        db.select(func.count()).select_from(PendingTask).where(PendingTask.unit == code)).scalar()
    if tasks:
        reasons.append(f"masih menjadi tujuan {tasks} tugas yang menunggu (alihkan dulu ke unit lain)")
    # Deleting the grants with the unit would quietly take work away from these users: the admin decides.
    holders = list(db.session.execute(
        db.select(User.username).distinct().join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.unit == code).order_by(User.username)).scalars())
    if holders:
        reasons.append(f"masih menjadi unit hak akses pengguna {', '.join(holders)} (ubah dulu hak mereka)")
    children = list(db.session.execute(db.select(Unit.code).where(Unit.parent == code).order_by(Unit.code)).scalars())
    if children:
        reasons.append(f"masih menjadi induk dari {', '.join(children)}")
    return f"unit '{code}' " + "; ".join(reasons) if reasons else None


def remove_unit(code: str) -> None:
    """Delete a unit; 409 while tasks are routed to it, grants name it or units sit below it."""
    _remove(Unit, code, "unit", "unit_in_use", unit_in_use)


# -- regions ------------------------------------------------------------------------


def _region_codes() -> set[str]:
    return set(db.session.execute(db.select(Region.code)).scalars())


def list_regions() -> list[dict[str, Any]]:
    return [{"code": r.code, "name": r.name, "level": r.level, "parent": r.parent, "time_zone": r.time_zone}
            for r in db.session.execute(db.select(Region).order_by(Region.code)).scalars()]


# The place of each level in the Kemendagri path: a region sits directly under the level before its own.
REGION_RANK = {"provinsi": 0, "kabupaten": 1, "kota": 1, "kecamatan": 2, "desa": 3, "kelurahan": 3, "rw": 4, "rt": 5}
RegionTree = dict[str, tuple[str, str | None]]  # code -> (level, parent)


def region_tree() -> RegionTree:
    return {code: (level, parent) for code, level, parent
            in db.session.execute(db.select(Region.code, Region.level, Region.parent)).all()}


def _levels_with_rank(rank: int) -> str:
    return "/".join(level for level, r in REGION_RANK.items() if r == rank) or "tidak ada"


def region_problems(row: dict[str, str], tree: RegionTree) -> list[tuple[str, str]]:
    """(column, message) for everything wrong in a region row; `tree` holds the regions that exist (or will,
    this row included), so a parent's level and the chain above it can be followed."""
    problems = []
    code, parent, level = row.get("kode", ""), row.get("induk") or "", row.get("tingkat", "")
    if not code or not is_valid_path(code):
        problems.append(("kode", REGION_CODE_RULE))
    if not row.get("nama", "").strip():
        problems.append(("nama", "wajib diisi"))
    if level not in REGION_LEVELS:
        problems.append(("tingkat", f"salah satu dari {', '.join(REGION_LEVELS)}"))
    if parent and parent not in tree:
        problems.append(("induk", f"wilayah induk '{parent}' tidak ada"))
    elif parent:
        if _region_reaches(tree, parent, code):
            problems.append(("induk", f"induk membentuk lingkaran: '{code}' sudah berada di atas '{parent}'"))
        else:
            problems += _placed_under(code, level, parent, tree[parent][0])
    if level in REGION_RANK:
        below = sorted(c for c, (child_level, p) in tree.items()
                       if p == code and c != code and REGION_RANK.get(child_level) != REGION_RANK[level] + 1)
        if below:
            problems.append(("tingkat", f"tingkat {level} tidak cocok dengan wilayah di bawahnya ({', '.join(below)})"))
    zone_wrong = zone_problem(row.get("zona_waktu") or "")
    if zone_wrong:
        problems.append(("zona_waktu", zone_wrong))
    return problems


def _placed_under(code: str, level: str, parent: str, above: str) -> list[tuple[str, str]]:
    """A region's code continues its parent's, and its level is the one after its parent's."""
    problems = []
    if code and (code == parent or not contains(parent, code)):
        problems.append(("kode", f"kode wilayah harus melanjutkan kode induknya: '{parent}.…' atau '{parent}/…'"))
    if level in REGION_RANK and above in REGION_RANK and REGION_RANK[level] != REGION_RANK[above] + 1:
        problems.append(("tingkat", f"tingkat {level} tidak dapat langsung di bawah {above} '{parent}'; "
                                    f"di bawah {above} hanya {_levels_with_rank(REGION_RANK[above] + 1)}"))
    return problems


def _region_reaches(tree: RegionTree, start: str, code: str) -> bool:
    """Does the chain of parents from `start` come to `code` (or loop on itself)?"""
    seen: set[str] = set()
    at: str | None = start
    while at and at not in seen:
        if at == code:
            return True
        seen.add(at)
        at = tree.get(at, ("", None))[1]
    return bool(at)


def _with_rows(tree: RegionTree, rows: Iterable[dict[str, str]]) -> RegionTree:
    return {**tree, **{r.get("kode", ""): (r.get("tingkat", ""), r.get("induk") or None) for r in rows}}


def save_region(row: dict[str, str]) -> bool:
    """Create or update a region (kode, nama, tingkat, induk, zona_waktu); a row without `zona_waktu` keeps
    the stored zone, so a CSV of the older columns changes none. True when new. Does not commit."""
    problems = region_problems(row, _with_rows(region_tree(), [row]))
    if problems:
        raise invalid([{"field": column, "message": message} for column, message in problems])
    region = db.session.get(Region, row["kode"])
    new = region is None
    if region is None:
        region = Region(code=row["kode"])
        db.session.add(region)
    region.name, region.level, region.parent = row["nama"].strip()[:200], row["tingkat"], row.get("induk") or None
    if "zona_waktu" in row:
        region.time_zone = row["zona_waktu"] or None
        forget_zones()
    db.session.flush()
    return new


def region_in_use(code: str) -> str | None:
    children = db.session.execute(db.select(func.count()).select_from(Region).where(Region.parent == code)).scalar()
    if children:
        return f"wilayah '{code}' masih menjadi induk dari {children} wilayah"
    units = list(db.session.execute(db.select(Unit.code).where(Unit.region == code)).scalars())
    if units:
        return f"wilayah '{code}' masih menjadi wilayah unit {', '.join(sorted(units))}"
    running = db.session.execute(
        db.select(func.count()).select_from(Instance)
        .where(sql_contains(Instance.region, code), Instance.region != "", Instance.status.in_(ACTIVE_STATUSES))
    ).scalar()
    if running:
        return f"wilayah '{code}' masih memiliki {running} kasus aktif"
    return None


def remove_region(code: str) -> None:
    _remove(Region, code, "wilayah", "region_in_use", region_in_use)


def _remove(model: Any, key: str, noun: str, conflict_code: str, in_use: Callable[[str], str | None],
            grant_column: Any = None) -> int:
    """Delete one row (and the grants naming it); 404 when missing, 409 with the reason while it is needed."""
    row = db.session.get(model, key)
    if row is None:
        raise not_found(noun)
    reason = in_use(key)
    if reason:
        raise conflict(conflict_code, reason)
    grants = affected_rows(db.session.execute(db.delete(RoleGrant).where(grant_column == key))) if grant_column else 0
    db.session.delete(row)
    db.session.commit()
    return grants


# -- users and grants ---------------------------------------------------------------


@dataclass(frozen=True)
class GrantSpec:
    role: str
    region: str = ""
    unit: str | None = None

    def text(self) -> str:
        return self.role + (f"@{self.region}" if self.region else "") + (f"#{self.unit}" if self.unit else "")


def parse_grant(spec: str) -> GrantSpec:
    """`ROLE[@REGION][#UNIT]`, as `alur` commands take it: 'OPD@33.13#dpupr'."""
    rest, _, unit = spec.partition("#")
    role, _, region = rest.partition("@")
    return GrantSpec(role.strip(), region.strip(), unit.strip() or None)


@dataclass(frozen=True)
class GrantRefs:
    """What a grant may name, read once for a whole request or file."""

    roles: set[str]
    unit_regions: dict[str, str]  # unit code -> its region
    regions: set[str]


def grant_refs() -> GrantRefs:
    return GrantRefs(role_names(), dict(db.session.execute(db.select(Unit.code, Unit.region)).all()), _region_codes())


def grant_problems(grant: GrantSpec, refs: GrantRefs, held: set[GrantSpec] | None = None) -> list[tuple[str, str]]:
    """(column, message) for a grant naming a role, region or unit that does not exist, or a unit of another region.

    A grant in `held` (the user has it already) is not checked against the regions: it was stored before they
    were required, and an exported file must import back unchanged."""
    problems = []
    if grant.role not in refs.roles:
        problems.append(("peran", f"peran '{grant.role}' tidak ada; buat dulu di halaman Peran"))
    if not is_valid_path(grant.region):
        problems.append(("wilayah", f"kode wilayah tidak sah: '{grant.region}'"))
    elif held and grant in held:
        pass
    elif grant.region and grant.region not in refs.regions:
        problems.append(("wilayah", f"wilayah '{grant.region}' tidak ada; buat dulu di halaman Wilayah"))
    if grant.unit is not None and grant.unit not in refs.unit_regions:
        problems.append(("unit", f"unit '{grant.unit}' tidak ada"))
    elif grant.unit is not None:
        # Either may hold the other: a kecamatan's officer of a regency's dinas, or a regency-wide grant.
        home = refs.unit_regions[grant.unit]
        if not (contains(home, grant.region) or contains(grant.region, home)):
            problems.append(("unit", f"unit '{grant.unit}' berada di wilayah '{home}', di luar wilayah hak "
                                     f"'{grant.region}'"))
    return problems


def grant_field(index: int, column: str) -> str:
    """The field of a problem in a user's `index`th grant (from 0), `column` as in pengguna.csv: 'hak.0.peran'."""
    return f"hak.{index}.{column}"


def held_grants(username: str | None = None) -> dict[str, set[GrantSpec]]:
    """Username -> the grants they hold now (of every user, or of `username`)."""
    held: dict[str, set[GrantSpec]] = {}
    query = (db.select(User.username, RoleGrant.role, RoleGrant.region_prefix, RoleGrant.unit)
             .join(RoleGrant, RoleGrant.user_id == User.id))
    if username is not None:
        query = query.where(User.username == username)
    for name, role, region, unit in db.session.execute(query).all():
        held.setdefault(name, set()).add(GrantSpec(role, region, unit))
    return held


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def email_problem(email: str | None) -> str | None:
    if email and not EMAIL.match(email):
        return "alamat email tidak sah (mis. nama@karanganyarkab.go.id)"
    return None


def list_users() -> list[dict[str, Any]]:
    grants: dict[int, list[GrantSpec]] = {}
    for user_id, role, region, unit in db.session.execute(
            db.select(RoleGrant.user_id, RoleGrant.role, RoleGrant.region_prefix, RoleGrant.unit)
            .order_by(RoleGrant.role, RoleGrant.region_prefix, RoleGrant.unit)).all():
        grants.setdefault(user_id, []).append(GrantSpec(role, region, unit))
    return [{"username": u.username, "full_name": u.full_name, "email": u.email, "active": u.active,
             "grants": [{"role": g.role, "region_prefix": g.region, "unit": g.unit} for g in grants.get(u.id, [])]}
            for u in db.session.execute(db.select(User).order_by(User.username)).scalars()]


def save_user(username: str, full_name: str = "", email: str | None = None, password: str | None = None,
              active: bool = True, grants: list[GrantSpec] | None = None) -> bool:
    """Create or update a user; `grants` (when given) replace theirs. True when new. Does not commit.

    409 when the change would leave nobody able to manage the organization (see `keep_an_admin`)."""
    before = all_region_admins()
    new = _store_user(username, full_name, email, password, active, grants)
    keep_an_admin(before)
    return new


def all_region_admins() -> int:
    """Active users holding the admin role at '' (every region): only they can manage the organization."""
    return db.session.execute(
        db.select(func.count(func.distinct(User.id))).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(User.active.is_(True), RoleGrant.role == current_app.config["ALUR_ADMIN_ROLE"],
               RoleGrant.region_prefix == "")).scalar() or 0


def keep_an_admin(before: int) -> None:
    """409 when a change (already flushed) took away the last admin of every region: nobody could undo it.

    `before` is the count ahead of the change: a database that never had one (a fresh install being set up)
    is not blocked."""
    if before and not all_region_admins():
        role = current_app.config["ALUR_ADMIN_ROLE"]
        raise conflict("last_admin", f"ditolak: tidak akan ada lagi pengguna aktif dengan peran '{role}' di seluruh "
                                     "wilayah, sehingga tidak ada yang dapat mengelola organisasi; beri dulu pengguna "
                                     "lain peran itu")


def _store_user(username: str, full_name: str, email: str | None, password: str | None, active: bool,
                grants: list[GrantSpec] | None) -> bool:
    problems: list[dict[str, str]] = []
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", username or ""):
        problems.append({"field": "username", "message": USERNAME_RULE})
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None and not password:
        problems.append({"field": "kata_sandi", "message": "wajib untuk pengguna baru"})
    if password is not None and password and len(password) < 8:
        problems.append({"field": "kata_sandi", "message": "minimal 8 karakter"})
    if email_problem(email):
        problems.append({"field": "email", "message": email_problem(email) or ""})
    refs, held = grant_refs(), held_grants(username).get(username, set())
    for i, grant in enumerate(grants or []):
        problems += [{"field": grant_field(i, column), "message": message}
                     for column, message in grant_problems(grant, refs, held)]
    if problems:
        raise invalid(problems)
    new = user is None
    if user is None:
        assert password  # a new user without one was refused above
        user = User(username=username, full_name=full_name or username, password_hash=hash_password(password),
                    active=active, created_at=now())
        db.session.add(user)
        db.session.flush()
    else:
        user.full_name, user.active = full_name or user.full_name, active
        if password:
            user.password_hash = hash_password(password)
    if email is not None:
        user.email = email or None
    if grants is not None:
        set_grants(user, grants)
    return new


def set_grants(user: User, grants: list[GrantSpec]) -> None:
    wanted = set(dict.fromkeys(grants))
    for row in db.session.execute(db.select(RoleGrant).filter_by(user_id=user.id)).scalars():
        spec = GrantSpec(row.role, row.region_prefix, row.unit)
        if spec in wanted:
            wanted.discard(spec)
        else:
            db.session.delete(row)
    for spec in grants:
        if spec in wanted:
            db.session.add(RoleGrant(user_id=user.id, role=spec.role, region_prefix=spec.region, unit=spec.unit))
            wanted.discard(spec)
    db.session.flush()


def add_grant(user: User, spec: GrantSpec) -> None:
    """Add one grant if the user lacks it (the role is created when missing: seeding and tests name roles freely)."""
    ensure_roles([spec.role])
    exists = db.session.execute(db.select(RoleGrant.id).filter_by(
        user_id=user.id, role=spec.role, region_prefix=spec.region, unit=spec.unit)).first()
    if exists is None:
        db.session.add(RoleGrant(user_id=user.id, role=spec.role, region_prefix=spec.region, unit=spec.unit))


def remove_user(username: str) -> None:
    """Deactivate rather than delete: the audit trail and claims keep naming the user."""
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        raise not_found("pengguna")
    before = all_region_admins()
    user.active = False
    db.session.execute(db.delete(RoleGrant).where(RoleGrant.user_id == user.id))
    try:
        keep_an_admin(before)
    except ApiError:
        db.session.rollback()
        raise
    db.session.commit()


# -- CSV ----------------------------------------------------------------------------


def export_csv(kind: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS[kind])
    if kind == "peran":
        writer.writerows([r["name"], r["description"]] for r in list_roles())
    elif kind == "unit":
        writer.writerows([u["code"], u["name"], u["kind"], u["parent"] or "", u["region"]] for u in list_units())
    elif kind == "wilayah":
        writer.writerows([r["code"], r["name"], r["level"], r["parent"] or "", r["time_zone"] or ""]
                         for r in list_regions())
    else:
        for u in list_users():
            first = [u["username"], u["full_name"], u["email"] or "", "ya" if u["active"] else "tidak", ""]
            for g in u["grants"] or [{"role": "", "region_prefix": "", "unit": None}]:
                writer.writerow(first + [g["role"], g["region_prefix"], g["unit"] or ""])
    return out.getvalue()


def read_csv(kind: str, text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV of `kind`; the header must name every column (order free, extra refused).

    The separator is ',' or ';' (what a spreadsheet with Indonesian settings saves), whichever the header uses.
    A line with more values than the header, or broken quoting, refuses the file naming the line."""
    if kind not in CSV_COLUMNS:
        raise not_found("jenis data")
    text = text.lstrip("\ufeff")
    records = _csv_records(text, _separator(text.split("\n", 1)[0]))
    header = [h.strip() for h in records[0][1]] if records else []
    missing = [c for c in CSV_REQUIRED[kind] if c not in header]
    extra = [c for c in header if c not in CSV_COLUMNS[kind]]
    if not header or missing or extra:
        raise invalid([{"field": "baris 1", "message": f"kolom: {', '.join(CSV_COLUMNS[kind])}"
                        + (f"; tidak ada: {', '.join(missing)}" if missing else "")
                        + (f"; tidak dikenal: {', '.join(extra)}" if extra else "")}], "berkas CSV tidak sesuai")
    rows, errors = [], []
    for line, values in records[1:]:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            errors.append({"field": f"baris {line}", "message": f"{len(values)} isian, padahal kepala kolom hanya "
                                                                f"{len(header)}; periksa pemisah dan tanda kutip"})
            continue
        rows.append((line, {column: values[i].strip() if i < len(values) else "" for i, column in enumerate(header)}))
    if errors:
        raise invalid(errors, "berkas CSV tidak sesuai")
    return rows


def _separator(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _csv_records(text: str, separator: str) -> list[tuple[int, list[str]]]:
    """(first line, values) of every record; broken quoting is a 422 naming the line where its record began."""
    reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    records, line = [], 1
    try:
        for values in reader:
            records.append((line, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        problem = ("tanda kutip (\") dibuka tetapi tidak ditutup" if "unexpected end of data" in str(exc)
                   else "sesudah tanda kutip penutup harus ada pemisah atau akhir baris" if "expected after" in str(exc)
                   else "baris tidak dapat dibaca")
        raise invalid([{"field": f"baris {line}", "message": f"sintaks CSV salah: {problem}"}],
                      "berkas CSV tidak dapat dibaca") from None
    return records


def import_csv(kind: str, text: str) -> ImportResult:
    """Create or update every row of the CSV; all or nothing (errors name line and column; then nothing is stored)."""
    rows = read_csv(kind, text)
    return import_rows(kind, rows)


def import_rows(kind: str, rows: list[tuple[int, dict[str, str]]]) -> ImportResult:
    """Rows as read from a CSV (or the seed file). Commits on success; on any error rolls back and raises 422."""
    result = ImportResult(kind)
    importers = {"peran": _import_roles, "unit": _import_units, "wilayah": _import_regions, "pengguna": _import_users}
    try:
        importers[kind](rows, result)
    except ApiError:
        db.session.rollback()
        raise
    if result.errors:
        db.session.rollback()
        raise invalid(result.errors, f"impor {kind} ditolak: {len(result.errors)} kesalahan; tidak ada yang disimpan")
    db.session.commit()
    return result


def _at(line: int, column: str) -> str:
    return f"baris {line}, kolom {column}"


def _count(result: ImportResult, new: bool) -> None:
    if new:
        result.created += 1
    else:
        result.updated += 1


def _import_roles(rows: list[tuple[int, dict[str, str]]], result: ImportResult) -> None:
    for line, row in rows:
        problem = _role_problem(row.get("nama", ""))
        if problem:
            result.errors.append({"field": _at(line, "nama"), "message": problem})
        elif not result.errors:
            _count(result, save_role(row["nama"], row.get("keterangan", "")))


def _import_units(rows: list[tuple[int, dict[str, str]]], result: ImportResult) -> None:
    known = set(db.session.execute(db.select(Unit.code)).scalars()) | {r.get("kode", "") for _, r in rows}
    regions = _region_codes()
    for line, row in rows:
        result.errors += [{"field": _at(line, c), "message": m} for c, m in unit_problems(row, known, regions)]
    if result.errors:
        return
    # Parents before children, whatever the file's order: a unit is stored once its parent is.
    pending = list(rows)
    while pending:
        stored = set(db.session.execute(db.select(Unit.code)).scalars())
        ready = [(n, r) for n, r in pending if not r.get("induk") or r["induk"] in stored]
        if not ready:
            result.errors += [{"field": _at(n, "induk"), "message": "induk membentuk lingkaran"} for n, _ in pending]
            return
        for line, row in ready:
            try:
                _count(result, save_unit(row))
            except ApiError as exc:
                result.errors += [{"field": _at(line, f["field"]), "message": f["message"]} for f in exc.fields]
                return
        pending = [item for item in pending if item not in ready]


def _import_regions(rows: list[tuple[int, dict[str, str]]], result: ImportResult) -> None:
    tree = _with_rows(region_tree(), (r for _, r in rows))
    for line, row in rows:
        result.errors += [{"field": _at(line, c), "message": m} for c, m in region_problems(row, tree)]
    if result.errors:
        return
    pending = list(rows)
    while pending:
        stored = _region_codes()
        ready = [(n, r) for n, r in pending if not r.get("induk") or r["induk"] in stored]
        if not ready:
            result.errors += [{"field": _at(n, "induk"), "message": "induk membentuk lingkaran"} for n, _ in pending]
            return
        for _line, row in ready:
            _count(result, save_region(row))
        pending = [item for item in pending if item not in ready]


def _import_users(rows: list[tuple[int, dict[str, str]]], result: ImportResult) -> None:
    """Lines of one user are gathered; the file's grants replace theirs (export, edit, import back)."""
    users: dict[str, dict[str, Any]] = {}
    refs, held = grant_refs(), held_grants()
    before = all_region_admins()
    for line, row in rows:
        name = row.get("username", "")
        entry = users.setdefault(name, {"line": line, "row": row, "grants": []})
        if row.get("aktif", "ya").lower() not in ("", "ya", "tidak", "1", "0", "true", "false"):
            result.errors.append({"field": _at(line, "aktif"), "message": "isi 'ya' atau 'tidak'"})
        if email_problem(row.get("email")):
            result.errors.append({"field": _at(line, "email"), "message": email_problem(row.get("email")) or ""})
        if row.get("peran"):
            spec = GrantSpec(row["peran"], row.get("wilayah", ""), row.get("unit") or None)
            problems = grant_problems(spec, refs, held.get(name))
            result.errors += [{"field": _at(line, c), "message": m} for c, m in problems]
            entry["grants"].append(spec)
    if result.errors:
        return
    for name, entry in users.items():
        row = entry["row"]
        try:
            new = _store_user(name, row.get("nama_lengkap", ""), row.get("email"), row.get("kata_sandi") or None,
                              row.get("aktif", "ya").lower() in ("", "ya", "1", "true"), entry["grants"])
        except ApiError as exc:
            result.errors += [{"field": _at(entry["line"], f["field"]), "message": f["message"]} for f in exc.fields]
            continue
        _count(result, new)
    if not result.errors:
        # Checked once the whole file is in: a file may hand the role from one admin to another.
        keep_an_admin(before)
