"""Timer firings computed before they are due, and written in bulk when they are.

A waiting timer's due moment is stored (`instances.next_timer_at`) when the timer is
reached, so what firing it will produce can be computed ahead: the engine fires the
instance's timers under a clock set just after the due moment (timers fire strictly
after it; a script calling now() sees the moment the event happened). `prepare`
stores that outcome in `prepared_firings`, stamped with the instance's version
counter. `apply_due` writes due outcomes for hundreds of instances per transaction
with a handful of bulk statements instead of one engine run and a dozen ORM writes
each: at the due moment only the writes are left.

A preparation is only applied while the instance still has the version it was
computed from and a timer status: every save bumps the counter (a completion, a
suspension, a migration to another version), so a stale preparation is deleted and
the instance is fired the normal way (`api.worker.fire_due_batch`) if it is due.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, insert, or_, text

from api import outbox, watchdog
from api.db import affected_rows, db, is_postgres
from api.failures import DATABASE_FAILURES, RUN_FAILURES, raise_if_unexpected
from api.models import (
    ACTIVE_STATUSES,
    TIMER_STATUSES,
    AuditEvent,
    Instance,
    OutboxMessage,
    PendingTask,
    PreparedFiring,
    WaitingMessageRow,
)
from api.services import messages, privacy, unique_starts
from api.services.instances import audited_events, system_actor, task_fields
from api.services.versions import runtime
from engine import FixedClock, OutgoingMessage, StepResult, now, use_clock

log = logging.getLogger(__name__)

# Timers fire strictly after their due moment; this is the smallest step both databases keep.
FIRE_AFTER = timedelta(milliseconds=1)

_PF = PreparedFiring.__table__
_INSTANCES = Instance.__table__
_PENDING = PendingTask.__table__
_TASK_FIELDS = ("name", "title", "lane", "form", "due_at", "sort_key", "unit")  # what a firing may change on a kept row
# The valid preparation of an instance: computed from its current version.
_VALID = exists().where(_PF.c.instance_id == Instance.id, _PF.c.for_lock_version == Instance.lock_version)
# The version-checked instance write of an applied firing, one executemany per chunk on both databases.
_UPDATE_INSTANCE = (
    _INSTANCES.update()
    .where(_INSTANCES.c.id == bindparam("b_id"), _INSTANCES.c.lock_version == bindparam("b_version"),
           # Not `IN (...)`: SQLAlchemy expands an IN list per statement, which executemany cannot take.
           or_(*(_INSTANCES.c.status == status for status in TIMER_STATUSES)))
    .values(state=bindparam("b_state"), status=bindparam("b_status"), anonymous=bindparam("b_anonymous"),
            confidential=bindparam("b_confidential"), next_timer_at=bindparam("b_next_timer"),
            due_at=bindparam("b_due"), updated_at=bindparam("b_moment"), finished_at=bindparam("b_finished"),
            lock_version=_INSTANCES.c.lock_version + 1)
)


# -- prepare ------------------------------------------------------------------------


_MOMENTS = ("due_at", "sort_key")  # task fields stored as ISO text in the JSON column


class ChunkNotWritten(RuntimeError):
    """A chunk's UPDATE wrote fewer instance rows than it read: undone whole, its firings go the normal way."""


def _task_json(task: Any) -> dict[str, Any]:
    fields = task_fields(task)
    for key in _MOMENTS:
        fields[key] = fields[key].isoformat() if fields[key] else None
    return {"id": task.id, **fields}


def outcome(result: StepResult) -> dict[str, Any]:
    """The stored form of an engine step: everything `instances.save` would write, without moments."""
    anonymous, confidential = privacy.flags(result.data)
    return {
        "state": result.state, "status": result.status, "next_timer_at": result.next_timer,
        "anonymous": anonymous, "confidential": confidential,
        "tasks": [_task_json(t) for t in result.tasks],
        "events": audited_events(result.events),
        "messages": [{"name": m.name, "payload": m.payload} for m in result.messages],
    }


def prepare(moment: datetime, lookahead: float, batch: int = 50) -> int:
    """Compute the firing of up to `batch` instances due within `lookahead` seconds; returns how many were taken.

    On PostgreSQL the instances are locked (skipping rows another worker holds) while
    the engine runs, so two workers prepare different instances; a completion of one
    of them waits that long (one batch, well under a second). SQLite has one writer:
    the workers pick a random part of the next candidates so they rarely compute the
    same ones (a duplicate is only wasted work: the later one replaces the earlier).
    """
    query = (db.select(Instance.id, Instance.version_id, Instance.lock_version, Instance.next_timer_at,
                       Instance.state)
             .where(Instance.next_timer_at > moment, Instance.next_timer_at <= moment + timedelta(seconds=lookahead),
                    Instance.status.in_(TIMER_STATUSES), ~_VALID)
             .order_by(Instance.next_timer_at))
    if is_postgres():
        rows = db.session.execute(
            query.limit(batch).with_for_update(skip_locked=True, key_share=True, of=_INSTANCES)).all()
    else:
        candidates = db.session.execute(query.limit(batch * 4)).all()
        rows = random.sample(candidates, min(batch, len(candidates)))
    if not rows:
        db.session.rollback()
        return 0
    stamp, prepared = now(), []
    for row in rows:
        found: dict[str, Any] = {"state": "", "status": "", "next_timer_at": None, "anonymous": False,
                                 "confidential": False, "tasks": [], "events": [], "messages": [], "fires": False}
        try:
            ref = runtime().by_row(row.version_id)
            with use_clock(FixedClock(row.next_timer_at + FIRE_AFTER)), watchdog.watching(row.id):
                result = runtime().engine.fire_timers(ref.version, row.state)
            # A firing that reaches or leaves a message wait goes the normal way: only `instances.save`
            # keeps waiting_messages and delivers messages to other instances.
            if any(e.kind == "timer_fired" for e in result.events) and not result.waits and not _waits(row.id) \
                    and not any(messages.recipients(m, row.id) for m in result.messages):
                found = {**outcome(result), "fires": True}
        except Exception as exc:  # a preparation only saves time: the normal path fires it when due (and logs it)
            log.exception("instance %s: preparing its timer failed", row.id)
            raise_if_unexpected(exc, *RUN_FAILURES, *DATABASE_FAILURES)
        prepared.append({"instance_id": row.id, "for_lock_version": row.lock_version, "due_at": row.next_timer_at,
                         "prepared_at": stamp, **found})
    ids = [p["instance_id"] for p in prepared]
    # Delete + insert works the same on both databases; a replaced row is a stale (or duplicate) preparation.
    db.session.execute(db.delete(PreparedFiring).where(PreparedFiring.instance_id.in_(ids)))
    db.session.execute(insert(PreparedFiring), prepared)
    db.session.commit()
    return len(rows)


def _waits(instance_id: int) -> bool:
    query = db.select(WaitingMessageRow.id).where(WaitingMessageRow.instance_id == instance_id).limit(1)
    return db.session.execute(query).first() is not None


# -- apply --------------------------------------------------------------------------


def discard_stale(moment: datetime, max_late: timedelta, limit: int = 1000) -> int:
    """Delete due preparations that must not be applied; their instances take the normal path.

    Not applied: those computed from an older state, those that fire nothing, and those
    whose moment passed more than `max_late` ago (the worker was down): their steps
    would carry the due moment while a normal firing now carries the real one, so past
    that bound the normal path decides.

    Read first, delete only when there is something: on SQLite a DELETE takes the
    write lock even when it matches nothing, and this runs every round.
    """
    valid = exists().where(Instance.id == _PF.c.instance_id, Instance.lock_version == _PF.c.for_lock_version,
                           Instance.status.in_(TIMER_STATUSES))
    stale = db.session.execute(
        db.select(_PF.c.instance_id)
        .where(_PF.c.due_at < moment, (~valid) | _PF.c.fires.is_(False) | (_PF.c.due_at < moment - max_late))
        .limit(limit)
    ).scalars().all()
    if stale:
        db.session.execute(db.delete(PreparedFiring).where(PreparedFiring.instance_id.in_(stale)))
        db.session.commit()
    else:
        db.session.rollback()
    return len(stale)


def discard_all() -> None:
    """Forget every preparation: a worker starting may run other code or holidays than the one that prepared."""
    db.session.execute(db.delete(PreparedFiring))
    db.session.commit()


def apply_due(moment: datetime, max_late: timedelta, chunk: int = 500) -> int:
    """Write up to `chunk` preparations due since at most `max_late`, in one transaction; returns how many."""
    query = (db.select(_PF, Instance.finished_at, Instance.process_id, Instance.title, Instance.region,
                       Instance.version_id)
             .join(Instance, Instance.id == _PF.c.instance_id)
             .where(_PF.c.due_at < moment, _PF.c.due_at >= moment - max_late, _PF.c.fires.is_(True),
                    Instance.lock_version == _PF.c.for_lock_version, Instance.status.in_(TIMER_STATUSES))
             .order_by(_PF.c.due_at).limit(chunk))
    if is_postgres():
        # Locked: another worker takes other rows, and a completion in progress is waited for, not overwritten.
        query = query.with_for_update(skip_locked=True, key_share=True, of=_INSTANCES)
    else:
        # SQLite has one writer: take the write lock before reading, so a second worker waits for this chunk's
        # commit and then reads the next one, instead of reading the same chunk and finding every row changed.
        # Only when there is something: this runs every round.
        if db.session.execute(query.limit(1)).first() is None:
            db.session.rollback()
            return 0
        db.session.rollback()
        db.session.execute(text("BEGIN IMMEDIATE"))
    taken = db.session.execute(query).all()
    if not taken:
        db.session.rollback()
        return 0
    stamp = now()
    updates = [_instance_values(row, stamp) for row in taken]
    # The rows read are locked (PostgreSQL) or nobody else can write (SQLite's lock, taken before the read), so
    # the version check in the UPDATE cannot fail; should it, the chunk is undone and fired the normal way.
    written = affected_rows(db.session.execute(_UPDATE_INSTANCE, updates))
    if written not in (-1, len(updates)):  # -1: a driver that does not sum executemany counts
        raise ChunkNotWritten(f"prepared firings: {written} of {len(updates)} instance rows written")
    _write_rows(taken, stamp)
    _release_finished(taken)
    db.session.execute(db.delete(PreparedFiring).where(PreparedFiring.instance_id.in_([r.instance_id for r in taken])))
    db.session.commit()
    return len(taken)


def _tasks(row: Any) -> list[dict[str, Any]]:
    """The pending-row fields of the prepared ready tasks, as `instances.sync_tasks` sets them."""
    if row.status not in ACTIVE_STATUSES:
        return []
    # A preparation stored before tasks had a unit has no "unit": routed to none.
    return [{"unit": None, **task, **{key: datetime.fromisoformat(task[key]) if task[key] else None
                                      for key in _MOMENTS}}
            for task in row.tasks]


def _instance_values(row: Any, stamp: datetime) -> dict[str, Any]:
    dues = [t["due_at"] for t in _tasks(row) if t["due_at"]]
    finished = row.finished_at
    if row.status == "complete" and finished is None:
        finished = stamp
    return {"b_id": row.instance_id, "b_version": row.for_lock_version, "b_state": row.state,
            "b_status": row.status, "b_anonymous": row.anonymous, "b_confidential": row.confidential,
            "b_next_timer": row.next_timer_at, "b_due": min(dues, default=None), "b_moment": stamp,
            "b_finished": finished}


def _release_finished(taken: Sequence[Any]) -> None:
    """A firing that finishes a case releases its unique start as `instances.save` does, in this transaction."""
    finishing: dict[int, list[int]] = {}
    for row in taken:
        if row.status == "complete" and row.finished_at is None:
            finishing.setdefault(row.version_id, []).append(row.instance_id)
    for version_id, ids in finishing.items():
        unique_starts.finished(runtime().by_row(version_id).version, ids)


def _write_rows(taken: Sequence[Any], stamp: datetime) -> None:
    """Pending tasks, audit events and outbox rows of the applied firings, with bulk statements."""
    ids = [row.instance_id for row in taken]
    existing = {found.id: found for found in db.session.execute(
        db.select(_PENDING.c.id, *(_PENDING.c[name] for name in _TASK_FIELDS))
        .where(_PENDING.c.instance_id.in_(ids)))}
    ready_ids: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    kept_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    actor = system_actor().name
    for row in taken:
        for task in _tasks(row):
            ready_ids.add(task["id"])
            if task["id"] in existing:  # still ready: keep the row (and its claim), refresh what changed
                if any(getattr(existing[task["id"]], name) != task[name] for name in _TASK_FIELDS):
                    kept_rows.append(task)
            else:
                new_rows.append({**task, "instance_id": row.instance_id, "process_id": row.process_id,
                                 "instance_title": row.title, "region": row.region, "created_at": stamp})
        events.extend({**event, "instance_id": row.instance_id, "actor": actor, "at": stamp} for event in row.events)
        messages.extend({**outbox.message_fields(OutgoingMessage(m["name"], m["payload"]), stamp),
                         "instance_id": row.instance_id} for m in row.messages)
    gone = [task_id for task_id in existing if task_id not in ready_ids]
    if gone:
        db.session.execute(db.delete(PendingTask).where(PendingTask.id.in_(gone)))
    if kept_rows:
        db.session.execute(db.update(PendingTask), kept_rows)  # ORM bulk UPDATE by primary key
    for table, rows in ((_PENDING, new_rows), (AuditEvent.__table__, events), (OutboxMessage.__table__, messages)):
        if rows:  # Core executemany: the ORM's bulk insert costs more per row than the write itself
            db.session.execute(insert(table), rows)
