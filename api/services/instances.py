"""One unit of work on an instance: load its state, let the engine act, save everything together.

`save` writes the state, the pending-task rows, the audit events and the outbox in
the caller's transaction. The instance row carries a version counter (SQLAlchemy's
`version_id_col`): the UPDATE says `WHERE lock_version = <read>`, so of two requests
that acted on the same state only the first commits and the other gets 409. On
PostgreSQL the row is also locked (`SELECT ... FOR UPDATE`) before the engine runs,
so the loser waits and then sees the new state instead of doing the work twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from api import outbox
from api.auth import Principal
from api.db import affected_rows, db, is_postgres
from api.errors import ApiError, conflict, invalid, not_found
from api.models import (
    ACTIVE_STATUSES,
    NO_DUE,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
    AuditEvent,
    Instance,
    PendingTask,
)
from api.regions import is_valid_path
from api.results import Completion
from api.services import case_links, messages, privacy, search, unique_starts
from api.services.tracking import new_code
from api.services.versions import VersionRef, runtime
from api.words import case_status_name
from engine import EngineEvent, HumanTask, NothingWaiting, OutgoingMessage, StepResult, now

TITLE_LIMIT = 300
UNIT_LIMIT = 100  # the column's width; a longer value matches no unit code anyway
# Engine event kinds worth an audit row (task_completed is written by us, with actor and data).
_AUDITED = {"timer_fired", "escalation", "message_received", "message_sent", "signal_received", "error",
            "instance_completed", "task_ready"}
_AUDIT = AuditEvent.__table__
_INSERT_AUDIT = _AUDIT.insert()  # built once: it runs on every save


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a user, the public website, or the worker."""

    name: str
    user_id: int | None = None


def system_actor() -> Actor:
    return Actor("sistem")


def record(instance: Instance, kind: str, actor: Actor, detail: dict[str, Any] | None = None,
           task_id: str | None = None, task_name: str | None = None) -> None:
    db.session.add(
        AuditEvent(instance_id=instance.id, kind=kind, actor=actor.name, at=now(), task_id=task_id,
                   task_name=task_name, detail=detail or {})
    )


def _event(kind: str, detail: dict[str, Any], task_id: str | None = None, task_name: str | None = None
           ) -> dict[str, Any]:
    return {"kind": kind, "task_id": task_id, "task_name": task_name, "detail": detail}


def audited_events(events: list[EngineEvent]) -> list[dict[str, Any]]:
    """The audit-row fields (kind, task, detail) of an engine step's events; shared with the worker's bulk apply."""
    return [_event(e.kind, dict(e.detail), e.task_id, e.task_name) for e in events if e.kind in _AUDITED]


def _record_events(instance: Instance, events: list[dict[str, Any]], actor: Actor) -> None:
    """Audit rows of one save, as one multi-row INSERT when no other audit row of this transaction waits.

    A completion writes two or three rows (task_completed, task_ready, ...); through the ORM each was
    its own INSERT, to learn an id nobody reads. The INSERT goes straight to the connection, so it
    flushes nothing else; when audit rows added through the session are still unflushed (a message
    delivery's), these go the same way, after them, so the history keeps its order.
    """
    if not events:
        return
    if any(isinstance(added, AuditEvent) for added in db.session.new):
        for event in events:
            record(instance, event["kind"], actor, event["detail"], event["task_id"], event["task_name"])
        return
    moment = now()
    db.session.connection().execute(_INSERT_AUDIT, [
        {"instance_id": instance.id, "actor": actor.name, "at": moment, **event} for event in events])


def task_fields(task: HumanTask) -> dict[str, Any]:
    """The pending-row columns that come from the engine's task; shared with the worker's bulk apply."""
    return {"name": task.name, "title": task.title[:TITLE_LIMIT], "lane": task.lane or "",
            "form": task.form.schema_file if task.form else None, "due_at": task.due, "sort_key": task.due or NO_DUE,
            "unit": task.unit[:UNIT_LIMIT] if task.unit else None}


def pending_rows(instance_id: int) -> list[PendingTask]:
    return list(db.session.execute(_PENDING_OF_INSTANCE, {"instance_id": instance_id}).scalars())


def sync_tasks(instance: Instance, tasks: list[HumanTask], pending: list[PendingTask] | None = None
               ) -> list[PendingTask]:
    """Make the pending-task rows match the engine's ready human tasks (claims on tasks still ready stay).

    Rows that come and go are written at once on the connection (a DELETE per row, one INSERT),
    not left to the session's flush, whose unit of work cost more than the statements. Rows that
    stay are updated through the session (their claim is kept). Every row returned is in the
    session, so a caller may still change one (a resumed task's claim) and the commit stores it.
    """
    existing = {t.id: t for t in (pending if pending is not None else pending_rows(instance.id))}
    ready = {t.id: t for t in tasks} if instance.status in ACTIVE_STATUSES else {}
    _delete_pending([row for task_id, row in existing.items() if task_id not in ready])
    shared = {"process_id": instance.process_id, "instance_title": instance.title, "region": instance.region}
    rows, added = [], []
    for task in ready.values():
        row = existing.get(task.id)
        if row is None:
            row = PendingTask(id=task.id, instance_id=instance.id, claimed_by_id=None, created_at=now())
            added.append(row)
        for name, value in (shared | task_fields(task)).items():
            setattr(row, name, value)
        rows.append(row)
    if added:
        db.session.connection().execute(_INSERT_PENDING, [_columns(row) for row in added])
        for row in added:  # stored now: into the session as loaded rows, so a later change to one is an UPDATE
            make_transient_to_detached(row)
            db.session.add(row)
    instance.due_at = min((r.due_at for r in rows if r.due_at), default=None)
    return rows


def _delete_pending(stale: list[PendingTask]) -> None:
    """Delete rows read at the start of this change. One someone else deleted first is no error here:
    whoever did also changed the instance, so this save's versioned UPDATE of it is refused at the flush."""
    for row in stale:  # usually one; a statement per row keeps it one cached statement
        db.session.connection().execute(_DELETE_PENDING, {"id": row.id})
        db.session.expunge(row)  # gone: no later flush or lookup in this session may see it


def _columns(row: PendingTask) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in _PENDING.columns}


# A message delivered to another instance may make that one send messages too; a chain longer than
# this is a diagram loop, and the rest is left undelivered (and audited) instead of recursing on.
DELIVERY_DEPTH = 4


def save(instance: Instance, result: StepResult, actor: Actor, pending: list[PendingTask] | None = None, *,
         depth: int = 0, recorded: tuple[dict[str, Any], ...] = ()) -> list[PendingTask]:
    """Store the engine's result on the instance (in the current transaction); returns its pending-task rows.

    With `pending` (the instance's pending rows, read before any change) nothing is flushed here: the
    version check then happens at the commit, in the same single flush as every other write.
    Messages for instances waiting for them (see `api.services.messages`) are delivered here, in
    the same transaction: the sender's step and every recipient's reaction commit together or
    not at all. Other messages go to the outbox for people outside. `recorded` are audit rows of the
    caller's action (kind, task_id, task_name, detail), written before the engine's own.
    """
    moment = now()
    instance.state = result.state
    if instance.status not in (STATUS_SUSPENDED, STATUS_CANCELLED):
        instance.status = result.status
    instance.anonymous, instance.confidential = privacy.flags(result.data)
    instance.next_timer_at = result.next_timer
    instance.updated_at = moment
    if result.status == "complete" and instance.finished_at is None:
        instance.finished_at = moment
        unique_starts.finished(runtime().by_row(instance.version_id).version, [instance.id])
    if pending is None:
        db.session.flush()  # the version check happens here: a stale instance raises StaleDataError
    rows = sync_tasks(instance, result.tasks, pending)
    messages.sync_waits(instance, result.waits)
    _record_events(instance, [*recorded, *audited_events(result.events)], actor)
    for message in result.messages:
        if not _deliver(instance, message, actor, depth):
            outbox.enqueue(instance, message)
    return rows


def _deliver(sender: Instance, message: OutgoingMessage, actor: Actor, depth: int) -> bool:
    """Deliver one message to the instances waiting for it; False when it is not for an instance."""
    targets = messages.recipients(message, sender.id)
    if not targets:
        return False
    for wait in targets:
        if depth >= DELIVERY_DEPTH:
            record(sender, "message_undelivered", actor,
                   {"name": message.name, "reason": "rantai pesan terlalu panjang"})
            continue
        target = lock_instance(wait.instance_id)
        if target is None or target.status not in ("running", "waiting"):
            continue
        ref = runtime().by_row(target.version_id)
        try:
            result = runtime().engine.send_message(ref.version, target.state, message.name, message.payload)
        except NothingWaiting:
            continue
        record(target, "message_delivered", actor, {"name": message.name, "from": sender.tracking_code})
        record(sender, "message_delivered", actor, {"name": message.name, "to": target.tracking_code})
        save(target, result, actor, depth=depth + 1)
    return True


def commit_or_conflict() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise conflict("instance_changed", "kasus telah diubah oleh orang lain; muat ulang") from None


# Statements on the completion path are built once; building them costs more than running them.
_READ_INSTANCE = db.select(Instance).where(Instance.id == bindparam("id")).execution_options(populate_existing=True)
# FOR NO KEY UPDATE, not FOR UPDATE: rows that only reference the instance (a claim's audit event) take a
# KEY SHARE lock on it for their foreign key; FOR UPDATE would make them wait while this transaction waits
# for their pending-task row, a deadlock (found by tests/load/test_concurrency.py).
_LOCK_INSTANCE = _READ_INSTANCE.with_for_update(key_share=True)
_PENDING_OF_INSTANCE = db.select(PendingTask).where(PendingTask.instance_id == bindparam("instance_id"))
_PENDING_BY_ID = db.select(PendingTask).where(PendingTask.id == bindparam("id"))
_PENDING = PendingTask.__table__
_INSERT_PENDING = _PENDING.insert()
_DELETE_PENDING = _PENDING.delete().where(_PENDING.c.id == bindparam("id"))


def lock_instance(instance_id: int) -> Instance | None:
    """Read an instance for change; on PostgreSQL hold its row until commit."""
    query = _LOCK_INSTANCE if is_postgres() else _READ_INSTANCE
    return db.session.execute(query, {"id": instance_id}).scalar_one_or_none()


# -- starting -----------------------------------------------------------------------


def region_of(ref: VersionRef, data: dict[str, Any]) -> str:
    field = ref.version.start.properties.get("regionField")
    if not field:
        return ""
    value = data.get(field, "")
    if not isinstance(value, str) or not is_valid_path(value):
        raise invalid([{"field": field, "message": "kode wilayah tidak sah"}])
    return value


def title_of(ref: VersionRef, data: dict[str, Any]) -> str:
    field = ref.version.start.properties.get("titleField")
    value = data.get(field) if field else None
    return str(value)[:TITLE_LIMIT] if value is not None else ref.version.name[:TITLE_LIMIT]


def start(
    ref: VersionRef, data: dict[str, Any], actor: Actor, *, check: Callable[[str], None] | None = None,
    also: Callable[[Instance], None] | None = None,
) -> Instance:
    """Validate the start data, start the engine, store the new instance. `check(region)` may refuse;
    `also(instance)` adds rows to the same transaction (an idempotency key)."""
    version = ref.version
    if not isinstance(data, dict):
        raise invalid([{"field": "data", "message": "harus berupa objek"}])
    if version.start.form is not None:
        runtime().engine.validate(version.start.form, data)  # FormInvalid -> 422 with every field
    region = region_of(ref, data)
    if check is not None:
        check(region)
    unique_starts.check(version, data)
    links = case_links.resolve(version.start.form, data)
    code = new_code()
    result = runtime().engine.start(version, {**data, "kode_lacak": code}, validate=False)
    moment = now()
    instance = Instance(
        process_id=version.process_id,
        version_id=ref.row_id,
        status=result.status,
        state=result.state,
        tracking_code=code,
        region=region,
        title=title_of(ref, data),
        start_lane=version.start.lane,
        started_by_id=actor.user_id,
        started_by_name=actor.name,
        created_at=moment,
        updated_at=moment,
    )
    db.session.add(instance)
    db.session.flush()
    unique_starts.hold(version, data, instance)
    search.index_instance(instance, data, version)
    save(instance, result, actor, recorded=(_event("instance_started", {"data": data, "version": ref.number}),))
    case_links.write(instance, links)
    if also is not None:
        also(instance)
    db.session.commit()
    return instance


# -- tasks --------------------------------------------------------------------------


def visible_task(principal: Principal, task_id: str) -> PendingTask:
    """The pending task if the user holds its lane within its region (and unit); 404 otherwise, never 403."""
    row = db.session.execute(_PENDING_BY_ID, {"id": task_id}).scalar_one_or_none()
    if row is None:
        raise _gone_or_missing(principal, task_id)
    if not principal.sees(row.lane, row.region, row.unit):
        raise not_found("tugas")
    return row


def _gone_or_missing(principal: Principal, task_id: str) -> ApiError:
    """A task that was pending and is done is 409 for someone who could have done it, 404 for anyone else."""
    event = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.task_id == task_id, AuditEvent.kind == "task_ready").limit(1)
    ).scalar_one_or_none()
    if event is not None:
        instance = db.session.get(Instance, event.instance_id)
        if instance is not None and principal.sees(event.detail.get("lane"), instance.region, event.detail.get("unit")):
            return conflict("task_not_ready", "tugas ini sudah tidak menunggu dikerjakan (sudah diselesaikan)")
    return not_found("tugas")


def claim(principal: Principal, task_id: str) -> PendingTask:
    row = visible_task(principal, task_id)
    if row.claimed_by_id == principal.user.id:
        return row
    updated = affected_rows(db.session.execute(
        db.update(PendingTask)
        .where(PendingTask.id == task_id, PendingTask.claimed_by_id.is_(None))
        .values(claimed_by_id=principal.user.id)
    ))
    if not updated:
        db.session.rollback()
        raise conflict("task_claimed", "tugas sudah diambil petugas lain")
    record(db.session.get_one(Instance, row.instance_id), "task_claimed",
           Actor(principal.user.username, principal.user.id), task_id=row.id, task_name=row.name)
    db.session.commit()
    return db.session.get_one(PendingTask, task_id)


def unclaim(principal: Principal, task_id: str) -> PendingTask:
    row = visible_task(principal, task_id)
    if row.claimed_by_id is None:
        return row
    if row.claimed_by_id != principal.user.id:
        raise conflict("task_claimed", "tugas diambil petugas lain; hanya dia yang dapat melepasnya")
    row.claimed_by_id = None
    record(db.session.get_one(Instance, row.instance_id), "task_unclaimed",
           Actor(principal.user.username, principal.user.id), task_id=row.id, task_name=row.name)
    db.session.commit()
    return row


# Built once (building costs more than running it); a Core statement, so no session objects are synchronized.
_TAKE_TASK = (
    _PENDING.update()
    .where(_PENDING.c.id == bindparam("task_id"),
           or_(_PENDING.c.claimed_by_id.is_(None), _PENDING.c.claimed_by_id == bindparam("user_id")))
    .values(claimed_by_id=bindparam("user_id"))
)


def _take_for_completion(principal: Principal, task_id: str) -> None:
    """Check the claim again under the lock, as a write: the check above ran before it.

    A claim committed after that first check would otherwise be overridden. This UPDATE marks the
    task as the completer's only if nobody else holds it, and holds the pending row until commit
    (PostgreSQL's row lock; SQLite's single write lock), so no claim can slip in before the save;
    a claim that got there first makes it match nothing. Rolled back with the rest if the engine refuses.
    """
    params = {"task_id": task_id, "user_id": principal.user.id}
    taken = affected_rows(db.session.connection().execute(_TAKE_TASK, params))
    if taken:
        return
    db.session.rollback()
    still_pending = db.session.execute(db.select(PendingTask.id).where(PendingTask.id == task_id)).first()
    if still_pending is not None:
        raise conflict("task_claimed", "tugas diambil petugas lain")
    raise conflict("task_not_ready", "tugas sudah diselesaikan orang lain")


def complete(principal: Principal, task_id: str, data: dict[str, Any]) -> Completion:
    """Complete a pending task as `principal`; the result names the pending tasks afterwards that
    `principal` may act on (e.g. the next step in their lane), so the answer needs nothing more."""
    row = visible_task(principal, task_id)
    if row.claimed_by_id not in (None, principal.user.id):
        raise conflict("task_claimed", "tugas diambil petugas lain")
    if not isinstance(data, dict):
        raise invalid([{"field": "data", "message": "harus berupa objek"}])
    lane, name = row.lane, row.name
    instance = lock_instance(row.instance_id)
    if instance is None:
        raise not_found("tugas")
    if instance.status not in ("running", "waiting"):
        raise conflict("instance_not_active",
                       f"kasus berstatus {case_status_name(instance.status)}; tugas tidak dapat diselesaikan")
    ref = runtime().by_row(instance.version_id)
    info = ref.version.tasks.get(name)
    links = case_links.resolve(info.form if info else None, data, own_id=instance.id)
    if messages.is_batch(info):
        context = runtime().engine.inspect(ref.version, instance.state).data
        data = messages.check_batch(instance, info, context, data)
    _take_for_completion(principal, task_id)
    pending = pending_rows(instance.id)  # read before any change, so the writes below need one flush only
    result = runtime().engine.complete(ref.version, instance.state, task_id, data, lane=lane or None)
    actor = Actor(principal.user.username, principal.user.id)
    rows = save(instance, result, actor, pending,
                recorded=(_event("task_completed", {"data": data, "lane": lane}, task_id, name),))
    case_links.write(instance, links)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise conflict("task_not_ready", "tugas sudah diselesaikan orang lain") from None
    return Completion(instance, ref, [r for r in rows if principal.sees(r.lane, r.region, r.unit)])


# -- timers -------------------------------------------------------------------------


def fire_timers(instance_id: int, due_before: datetime) -> bool:
    """Fire the due timers of one instance in its own transaction; False if another worker has it."""
    query = db.select(Instance).where(
        Instance.id == instance_id, Instance.next_timer_at <= due_before, Instance.status.in_(("running", "waiting"))
    ).execution_options(populate_existing=True)
    if is_postgres():
        query = query.with_for_update(skip_locked=True, key_share=True)  # NO KEY: see _LOCK_INSTANCE
    instance = db.session.execute(query).scalar_one_or_none()
    if instance is None:
        db.session.rollback()
        return False
    ref = runtime().by_row(instance.version_id)
    result = runtime().engine.fire_timers(ref.version, instance.state)
    try:
        save(instance, result, system_actor())
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return False
    return True


def due_instance_ids(due_before: datetime, limit: int = 100) -> list[int]:
    ids = db.session.execute(
        db.select(Instance.id)
        .where(Instance.next_timer_at <= due_before, Instance.status.in_(("running", "waiting")))
        .order_by(Instance.next_timer_at)
        .limit(limit)
    ).scalars().all()
    db.session.rollback()
    return list(ids)


def next_timer() -> datetime | None:
    return db.session.execute(
        db.select(db.func.min(Instance.next_timer_at)).where(Instance.status.in_(("running", "waiting")))
    ).scalar()
