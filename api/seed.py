"""Users, grants, regions, and the demo data (one user per lane of every loaded process, and demo cases)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from api.auth import Principal, hash_password, principal_of
from api.db import db
from api.errors import ApiError
from api.models import STATUS_CANCELLED, Instance, PendingTask, Region, User, WaitingMessageRow
from api.regions import is_valid_path
from api.services import instances, organization
from api.services.versions import runtime
from engine import EngineError, FormInvalid, now

SEED_FILE = Path(__file__).with_name("seed_data.json")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    region: str
    unit: str | None = None


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


def grant(user: User, role: str, region_prefix: str = "", unit: str | None = None) -> None:
    """Give `user` the role within the region prefix (and unit); the role row is made when missing."""
    if not is_valid_path(region_prefix):
        raise ValueError(f"kode wilayah tidak sah: {region_prefix!r}")
    organization.add_grant(user, organization.GrantSpec(role, region_prefix, unit))


def seed_regions(rows: list[dict[str, Any]]) -> int:
    known = set(db.session.execute(db.select(Region.code)).scalars())
    added = 0
    for row in rows:
        if row["code"] not in known:
            db.session.add(Region(code=row["code"], name=row["name"], level=row["level"], parent=row.get("parent"),
                                  time_zone=row.get("time_zone")))
            added += 1
    return added


def username_for(role: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", role.lower()).strip("_")


def seed_organization(data: dict[str, Any]) -> None:
    """Regions, roles and units of the seed file, through the admin's CSV import (so both are checked alike)."""
    numbered = partial(enumerate, start=1)
    # A seed region without a zone leaves the zone an admin may have set on it.
    organization.import_rows("wilayah", [
        (n, {"kode": r["code"], "nama": r["name"], "tingkat": r["level"], "induk": r.get("parent") or "",
             **({"zona_waktu": r["time_zone"]} if r.get("time_zone") else {})})
        for n, r in numbered(data["regions"])])
    organization.import_rows("peran", [(n, {"nama": r["name"], "keterangan": r.get("description", "")})
                                       for n, r in numbered(data.get("roles", []))])
    organization.import_rows("unit", [
        (n, {"kode": u["code"], "nama": u["name"], "jenis": u["kind"], "induk": u.get("parent") or "",
             "wilayah": u.get("region", "")}) for n, u in numbered(data.get("units", []))])


def seed_demo(seed_file: Path = SEED_FILE) -> list[DemoUser]:
    """Regions, roles, units, and one user per lane of every current process (password from the seed file).

    Idempotent; extra users of the seed file may hold a unit grant ("unit": an OPD, a bidang, a Komisi).
    """
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    password = data["password"]
    seed_organization(data)
    lanes: list[str] = []
    for process_id in runtime().process_ids():
        for lane in runtime().current(process_id).version.lanes:
            if lane not in lanes:
                lanes.append(lane)
    wanted = [
        (username_for(lane), lane, data["lane_scopes"].get(lane, data["default_scope"]), lane, None) for lane in lanes
    ] + [(u["username"], u["role"], u["region"], u.get("full_name", ""), u.get("unit")) for u in data["extra_users"]]
    users = []
    for username, role, region, full_name, unit in wanted:
        user = ensure_user(username, password, full_name, reset_password=True)
        grant(user, role, region, unit)
        users.append(DemoUser(username, password, role, region, unit))
    db.session.commit()
    return users


# -- demo cases ------------------------------------------------------------------------

T = TypeVar("T")
# Demo data stays current whenever it is seeded: "{hari-3}" is the date three days ago, "{tahun+1}" next year.
_RELATIVE = re.compile(r"\{(hari|tahun)(?:([+-])(\d+))?\}")
# "{jam-3}+07:00" is the moment three hours before the seeding, in whole minutes, as the office's clock
# (the offset written after it) showed it: a case's received time that is never in the future.
_HOURS = re.compile(r"\{jam(?:([+-])(\d+))?\}([+-])(\d\d):(\d\d)")
# "{kode_lacak:<case id>}" is the tracking code of an earlier demo case, so a demo complaint can name it.
_CASE_CODE = re.compile(r"\{kode_lacak:([A-Za-z0-9_-]+)\}")


class DemoCaseError(Exception):
    """A demo case that cannot be seeded; the message names the case, the step and the fields at fault."""

    def __init__(self, case: str, problem: str, step: str | None = None) -> None:
        where = f"kasus demo '{case}'" + (f", langkah '{step}'" if step else "")
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class DemoStep:
    task: str  # the BPMN element id of the human task
    by: str  # the demo user who completes it (or, in waits_at, who must see it)
    data: dict[str, Any]


@dataclass(frozen=True)
class DemoCase:
    id: str
    process_id: str
    by: str
    data: dict[str, Any]
    steps: tuple[DemoStep, ...]
    waits_at: tuple[DemoStep, ...]  # the tasks left waiting afterwards; none: the case is finished
    # An entry that goes on with an earlier case (after other cases moved it, e.g. a forum decided it):
    # its steps run on that case's instance, and its waits_at replaces that case's.
    continues: str | None = None
    # Message catches it must then wait at (a forum's decision): not a task in anyone's inbox.
    waits_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoCasesResult:
    created: dict[str, int]  # case id -> instance id
    existing: int  # instances the database already had (then nothing is created)

    def message(self) -> str:
        if self.existing:
            return f"kasus demo tidak dibuat: basis data sudah berisi {self.existing} instance"
        return f"{len(self.created)} kasus demo dibuat"


def relative_dates(value: Any, today: date, moment: datetime | None = None) -> Any:
    """`value` with every "{hari±n}" as an ISO date, "{tahun±n}" as a year (a lone one is a number) and
    "{jam±n}±HH:MM" as the ISO moment n hours from `moment` (the seeding moment) at that UTC offset."""
    if isinstance(value, dict):
        return {key: relative_dates(item, today, moment) for key, item in value.items()}
    if isinstance(value, list):
        return [relative_dates(item, today, moment) for item in value]
    if not isinstance(value, str):
        return value
    alone = _RELATIVE.fullmatch(value)
    if alone and alone[1] == "tahun":
        return _shifted(alone, today)
    if moment is not None:
        value = _HOURS.sub(lambda found: _hours_from(found, moment), value)
    return _RELATIVE.sub(lambda found: str(_shifted(found, today)), value)


def _hours_from(found: re.Match[str], moment: datetime) -> str:
    hours = int(found[2] or 0) * (-1 if found[1] == "-" else 1)
    offset = timedelta(hours=int(found[4]), minutes=int(found[5])) * (-1 if found[3] == "-" else 1)
    local = (moment + timedelta(hours=hours)).astimezone(timezone(offset)).replace(second=0, microsecond=0)
    return local.isoformat()


def case_codes(value: Any, codes: dict[str, str], case: str, step: str | None = None) -> Any:
    """`value` with every "{kode_lacak:<id>}" as the tracking code of the demo case `id` seeded before it."""
    if isinstance(value, dict):
        return {key: case_codes(item, codes, case, step) for key, item in value.items()}
    if isinstance(value, list):
        return [case_codes(item, codes, case, step) for item in value]
    if not isinstance(value, str):
        return value

    def code(found: re.Match[str]) -> str:
        if found[1] not in codes:
            raise DemoCaseError(case, f"kasus demo '{found[1]}' belum dibuat sebelum kasus ini", step)
        return codes[found[1]]

    return _CASE_CODE.sub(code, value)


def _shifted(found: re.Match[str], today: date) -> date | int:
    offset = int(found[3] or 0) * (-1 if found[2] == "-" else 1)
    return today.year + offset if found[1] == "tahun" else today + timedelta(days=offset)


def demo_cases(items: list[dict[str, Any]]) -> list[DemoCase]:
    """The `demo_cases` of the seed file, read strictly: a case missing a key is named, not skipped."""
    return [_demo_case(item, number) for number, item in enumerate(items, 1)]


def _demo_case(item: dict[str, Any], number: int) -> DemoCase:
    case_id = str(item.get("id") or f"ke-{number}")
    try:
        if item.get("continues"):
            return DemoCase(
                id=case_id, process_id="", by="", data={}, continues=str(item["continues"]),
                steps=tuple(DemoStep(s["task"], s["by"], s.get("data", {})) for s in item.get("steps", [])),
                waits_at=tuple(DemoStep(w["task"], w["by"], {}) for w in item["waits_at"]),
                waits_for=tuple(item.get("waits_for", ())),
            )
        return DemoCase(
            id=case_id, process_id=item["process_id"], by=item["by"], data=item["data"],
            steps=tuple(DemoStep(s["task"], s["by"], s.get("data", {})) for s in item.get("steps", [])),
            waits_at=tuple(DemoStep(w["task"], w["by"], {}) for w in item["waits_at"]),
            waits_for=tuple(item.get("waits_for", ())),
        )
    except KeyError as exc:
        raise DemoCaseError(case_id, f"isian {exc} wajib ada di berkas seed") from None


def seed_demo_cases(seed_file: Path = SEED_FILE) -> DemoCasesResult:
    """Start the seed file's demo cases and complete their steps as their users, only into a database without instances.

    They go through the same services as requests, so state, inbox rows, audit events and outbox
    messages are what real use writes. A case the procedures refuse stops the seed with a
    DemoCaseError, and the cases already created are removed, so a corrected file can be seeded again.
    """
    existing = db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar_one()
    if existing:
        return DemoCasesResult({}, existing)
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    moment = now()
    cases = demo_cases(data.get("demo_cases", []))
    created: dict[str, int] = {}
    final: dict[str, DemoCase] = {}  # case id -> the entry saying where it must end up
    codes: dict[str, str] = {}
    try:
        for case in cases:
            if case.continues:
                if case.continues not in created:
                    raise DemoCaseError(case.id, f"kasus '{case.continues}' yang dilanjutkan belum ada sebelumnya")
                _run_steps(case, created[case.continues], moment, codes)
                final[case.continues] = case
                continue
            created[case.id] = _start_case(case, moment, codes)
            codes[case.id] = db.session.get(Instance, created[case.id]).tracking_code
            _run_steps(case, created[case.id], moment, codes)
            final[case.id] = case
        for case_id, case in final.items():  # where each case ends, after every entry ran
            _check_waiting(case, created[case_id])
    except DemoCaseError:
        _remove_instances(created.values())
        raise
    return DemoCasesResult(created, 0)


def _principal(case: DemoCase, username: str, step: str | None) -> Principal:
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None:
        raise DemoCaseError(case.id, f"pengguna demo '{username}' tidak ada", step)
    # As after a login, without issuing a token: the services only use the user, the grants and their units.
    return principal_of(user)


def _refused_as(case: DemoCase, step: str, action: Callable[[], T]) -> T:
    """Run a service call; a refusal becomes a DemoCaseError naming the fields instead of a stack trace."""
    try:
        return action()
    except FormInvalid as exc:
        db.session.rollback()
        raise DemoCaseError(case.id, "; ".join(f"{e.field}: {e.message}" for e in exc.errors), step) from None
    except ApiError as exc:
        db.session.rollback()
        fields = "; ".join(f"{f['field']}: {f['message']}" for f in exc.fields)
        raise DemoCaseError(case.id, fields or exc.message, step) from None
    except EngineError as exc:
        db.session.rollback()
        raise DemoCaseError(case.id, str(exc), step) from None


def _start_case(case: DemoCase, moment: datetime, codes: dict[str, str]) -> int:
    ref = runtime().current(case.process_id)
    if ref is None:
        raise DemoCaseError(case.id, f"proses '{case.process_id}' tidak dikenal")
    starter, lane = _principal(case, case.by, "mulai"), ref.version.start.lane

    def may_start(region: str) -> None:  # the start route's rule: the start lane within the case's region
        if lane and not starter.holds(lane, region):
            raise DemoCaseError(case.id, f"pengguna '{case.by}' tidak memegang peran '{lane}' di wilayah '{region}'",
                                "mulai")

    actor = instances.Actor(starter.user.username, starter.user.id)
    data = case_codes(relative_dates(case.data, moment.date(), moment), codes, case.id, "mulai")
    return _refused_as(case, "mulai", partial(instances.start, ref, data, actor, check=may_start)).id


def _pending(instance_id: int) -> list[PendingTask]:
    return list(db.session.execute(
        db.select(PendingTask).filter_by(instance_id=instance_id).order_by(PendingTask.name)
    ).scalars())


def _waiting_row(case: DemoCase, instance_id: int, step: DemoStep) -> PendingTask:
    """The pending task `step` names, held by its user; otherwise a DemoCaseError saying what waits instead."""
    rows = _pending(instance_id)
    row = next((r for r in rows if r.name == step.task), None)
    if row is None:
        waiting = ", ".join(r.name for r in rows) or "tidak ada"
        raise DemoCaseError(case.id, f"tugas ini tidak sedang menunggu (yang menunggu: {waiting})", step.task)
    if not _principal(case, step.by, step.task).sees(row.lane, row.region, row.unit):
        raise DemoCaseError(case.id, f"pengguna '{step.by}' tidak memegang peran '{row.lane}' di wilayah "
                                     f"'{row.region}'", step.task)
    return row


def _run_steps(case: DemoCase, instance_id: int, moment: datetime, codes: dict[str, str]) -> None:
    for step in case.steps:
        task_id = _waiting_row(case, instance_id, step).id
        who = _principal(case, step.by, step.task)
        data = case_codes(relative_dates(step.data, moment.date(), moment), codes, case.id, step.task)
        _refused_as(case, step.task, partial(instances.complete, who, task_id, data))


def _check_waiting(case: DemoCase, instance_id: int) -> None:
    """The case must end where the seed file says, so the inboxes show what the file promises."""
    instance = db.session.get(Instance, instance_id)
    if instance.status in ("error", STATUS_CANCELLED):
        raise DemoCaseError(case.id, f"instance berakhir dengan status {instance.status}")
    waiting = [r.name for r in _pending(instance_id)]
    wanted = sorted(w.task for w in case.waits_at)
    if waiting != wanted:
        raise DemoCaseError(case.id, f"menunggu di {', '.join(waiting) or 'tidak ada tugas'}, "
                                     f"bukan di {', '.join(wanted) or 'tidak ada tugas (selesai)'}")
    for step in case.waits_at:
        _waiting_row(case, instance_id, step)
    waits = sorted(db.session.execute(
        db.select(WaitingMessageRow.element).filter_by(instance_id=instance_id)).scalars())
    if waits != sorted(case.waits_for):
        raise DemoCaseError(case.id, f"menunggu pesan di {', '.join(waits) or 'tidak ada'}, "
                                     f"bukan di {', '.join(case.waits_for) or 'tidak ada'}")


def _remove_instances(ids: Iterable[int]) -> None:
    """Undo a seed that stopped half-way; pending tasks, events and outbox rows go with them (ON DELETE CASCADE)."""
    db.session.rollback()
    ids = list(ids)
    if ids:
        db.session.execute(Instance.__table__.delete().where(Instance.__table__.c.id.in_(ids)))
        db.session.commit()
