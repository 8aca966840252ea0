"""Reads the pages need that the API has no function for: region names, version rows, recap and report rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, false, or_

from api.db import db
from api.models import AuditEvent, Instance, PendingTask, ProcessVersionRow, Region, User
from api.regions import sql_contains

ROW_LIMIT = 2000  # a recap lists at most this many instances (and says so); reports count every one
STATE_CHUNK = 500  # instance states read per query by a report


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """Code -> readable name; an RW/RT path is named with its desa: `Desa Gantiwarno RW 02 RT 001`."""
    wanted = {c for c in codes if c}
    parts = {c: [c.rsplit("/", n)[0] for n in range(c.count("/"), -1, -1)] for c in wanted}
    lookup = {p for ps in parts.values() for p in ps}
    if not lookup:
        return {}
    rows = dict(db.session.execute(db.select(Region.code, Region.name).where(Region.code.in_(lookup))).all())
    out = {}
    for code, prefixes in parts.items():
        if code in rows:
            out[code] = " ".join(rows[p] for p in prefixes if p in rows)
    return out


def region_label(code: str) -> str:
    if not code:
        return "-"
    name = region_names([code]).get(code)
    return f"{name} ({code})" if name else code


def version_rows(process_id: str | None = None) -> list[ProcessVersionRow]:
    query = db.select(ProcessVersionRow).order_by(ProcessVersionRow.process_id, ProcessVersionRow.number)
    if process_id:
        query = query.filter_by(process_id=process_id)
    return list(db.session.execute(query).scalars())


def instance_counts(prefixes: list[str]) -> dict[int, dict[str, int]]:
    """version row id -> status -> number of instances, within the region prefixes."""
    query = in_regions(db.select(Instance.version_id, Instance.status, db.func.count()), prefixes).group_by(
        Instance.version_id, Instance.status)
    out: dict[int, dict[str, int]] = {}
    for version_id, status, count in db.session.execute(query).all():
        out.setdefault(version_id, {})[status] = count
    return out


def in_regions(query, prefixes: list[str]):
    """Only instances within one of the prefixes; with none, no instance (an empty OR would match every row)."""
    if not prefixes:
        return query.where(false())
    return query.where(or_(*[sql_contains(Instance.region, p) for p in prefixes]))


def processes_with_instances(process_ids: list[str], prefixes: list[str]) -> set[str]:
    """Which of the processes have at least one instance within the prefixes."""
    found = set()
    for process_id in process_ids:
        query = in_regions(db.select(Instance.id).where(Instance.process_id == process_id), prefixes).limit(1)
        if db.session.execute(query).first():
            found.add(process_id)
    return found


def at_or_past_step(process_id: str, step: str, scope: ColumnElement[bool]) -> list[Instance]:
    """Instances of a process waiting at a step or having completed it, within `scope` (the reader's cases,
    `privacy.case_scope`), oldest first."""
    waiting = db.select(PendingTask.instance_id).where(PendingTask.process_id == process_id, PendingTask.name == step)
    done = db.select(AuditEvent.instance_id).where(AuditEvent.kind == "task_completed", AuditEvent.task_name == step)
    query = db.select(Instance).where(
        Instance.process_id == process_id, or_(Instance.id.in_(waiting), Instance.id.in_(done)), scope
    )
    query = query.order_by(Instance.created_at, Instance.id).limit(ROW_LIMIT)
    return list(db.session.execute(query).scalars())


def waiting_steps(instance_ids: list[int]) -> dict[int, list[str]]:
    """instance id -> titles of its pending tasks."""
    if not instance_ids:
        return {}
    rows = db.session.execute(
        db.select(PendingTask.instance_id, PendingTask.title).where(PendingTask.instance_id.in_(instance_ids))
    ).all()
    out: dict[int, list[str]] = {}
    for instance_id, title in rows:
        out.setdefault(instance_id, []).append(title)
    return out


def _started(process_id: str, prefixes: list[str], start, end, *columns):
    query = db.select(*columns).where(
        Instance.process_id == process_id, Instance.created_at >= start, Instance.created_at < end
    )
    return in_regions(query, prefixes)


def status_counts(process_id: str, prefixes: list[str], start, end) -> dict[str, int]:
    """status -> number of the process's instances started in [start, end) within the prefixes (every one)."""
    query = _started(process_id, prefixes, start, end, Instance.status, db.func.count()).group_by(Instance.status)
    return dict(db.session.execute(query).all())


def states_mentioning(process_id: str, prefixes: list[str], start, end, text: str,
                      also_statuses: tuple[str, ...] = ()) -> Iterator[tuple[int, str, str]]:
    """(version id, status, state) of every instance started in the period whose stored state contains `text`,
    or whose status is one of `also_statuses`.

    Streamed in chunks by id (no cap); the text test is only a cheap pre-filter, the caller reads the state.
    """
    last, chunk = 0, STATE_CHUNK
    wanted = Instance.state.contains(text, autoescape=True)
    if also_statuses:
        wanted = or_(wanted, Instance.status.in_(also_statuses))
    while True:
        query = _started(process_id, prefixes, start, end, Instance.id, Instance.version_id, Instance.status,
                         Instance.state).where(Instance.id > last, wanted).order_by(Instance.id).limit(chunk)
        rows = db.session.execute(query).all()
        for _id, version_id, status, state in rows:
            yield version_id, status, state
        if len(rows) < chunk:
            return
        last = rows[-1][0]


def late_pending(process_id: str, prefixes: list[str], moment) -> int:
    query = db.select(db.func.count()).select_from(PendingTask).join(Instance, Instance.id == PendingTask.instance_id)
    query = query.where(PendingTask.process_id == process_id, PendingTask.due_at < moment)
    return db.session.execute(in_regions(query, prefixes)).scalar() or 0


def last_error(instance_id: int) -> str | None:
    """The engine's message of the instance's newest error event."""
    detail = db.session.execute(
        db.select(AuditEvent.detail).where(AuditEvent.instance_id == instance_id, AuditEvent.kind == "error")
        .order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return (detail or {}).get("message")


def completion_of(task_id: str) -> tuple[str, Any, str] | None:
    """(who, when, the case's region) completed a task, from its audit event: the user's full name when known,
    else the actor."""
    found = db.session.execute(
        db.select(AuditEvent.actor, AuditEvent.at, User.full_name, Instance.region)
        .outerjoin(User, User.username == AuditEvent.actor)
        .join(Instance, Instance.id == AuditEvent.instance_id)
        .where(AuditEvent.task_id == task_id, AuditEvent.kind == "task_completed").limit(1)
    ).first()
    return (found.full_name or found.actor, found.at, found.region) if found else None


def form_fields(version: Any) -> dict[str, dict[str, Any]]:
    """Every top-level field of every form of a version: name -> schema (first form wins), for labels and columns."""
    out: dict[str, dict[str, Any]] = {}
    for form in version.all_forms():
        for name, spec in form.schema.get("properties", {}).items():
            out.setdefault(name, spec)
    return out
