"""`alur worker`: fires due timers and delivers the outbox.

A round, in order:
1. apply: timer firings prepared ahead (api/services/prepared.py) whose moment has
   come are written in chunks of hundreds per transaction with bulk statements, the
   engine having already run. A preparation counts only while the instance keeps
   the version it was computed from (any save bumps it); stale ones are deleted.
2. fire: whatever is due without a valid preparation (reached too late to prepare,
   changed since, a failed apply) goes the normal way, `fire_due_batch`: load the
   state, fire, save, batches of 50 per transaction.
3. the outbox: due messages are delivered.
4. prepare, when nothing was due: the firings of instances due within
   `ALUR_TIMER_LOOKAHEAD` seconds are computed under a clock set to their due moment
   and stored, one small batch per round, so the worker stays ready for step 1.

Work is found by indexed columns (`next_timer_at`, `prepared_firings.due_at`,
`next_attempt_at`). Every write commits with the state it belongs to or not at all,
so a crash loses nothing and repeats nothing. On PostgreSQL instance rows are
locked `FOR NO KEY UPDATE SKIP LOCKED`, so several workers run side by side on
different instances; on SQLite a worker takes the write lock before it reads a chunk.
Between rounds it sleeps until the earliest due moment, at most
`ALUR_WORKER_MAX_SLEEP` seconds (new instances may bring an earlier timer), and
not at all while there is more to prepare.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app

from api import outbox, watchdog
from api.db import db, is_postgres
from api.failures import DATABASE_FAILURES, RUN_FAILURES, raise_if_unexpected
from api.models import TIMER_STATUSES, AuditEvent, Instance
from api.services import instances, prepared
from api.services.versions import runtime
from api.stopping import Stop
from engine import now

log = logging.getLogger(__name__)


@dataclass
class RoundResult:
    timers_fired: int = 0  # by either path
    applied: int = 0  # of those, written from a preparation
    messages_tried: int = 0
    prepared: int = 0  # instances whose firing was computed ahead this round


def run_once(batch: int = 50, chunk: int = 500, lookahead: float | None = None) -> RoundResult:
    """One round: apply due preparations, fire the rest of what is due, deliver the outbox; prepare when idle."""
    runtime().ensure_synced()
    if lookahead is None:
        lookahead = current_app.config["ALUR_TIMER_LOOKAHEAD"]
    result = RoundResult()
    moment = now()
    max_late = timedelta(seconds=current_app.config["ALUR_PREPARED_MAX_LATE"])
    prepared.discard_stale(moment, max_late)
    while True:
        try:
            # now(), not the round's moment: while a crowd comes due, each chunk takes what fell due meanwhile
            applied = prepared.apply_due(now(), max_late, chunk)
        except Exception as exc:  # a chunk undone whole (its version check failed, the database went away): the
            db.session.rollback()  # normal path below fires those instances
            raise_if_unexpected(exc, prepared.ChunkNotWritten, *DATABASE_FAILURES)
            log.warning("applying prepared firings failed; firing the normal way", exc_info=True)
            break
        result.applied += applied
        if applied < chunk:
            break
    result.timers_fired = result.applied
    while True:
        claimed, fired = fire_due_batch(moment, batch)
        result.timers_fired += fired
        if claimed < batch or fired == 0:
            break
    result.messages_tried = outbox.deliver_due()
    if not result.timers_fired and lookahead > 0:
        result.prepared = prepared.prepare(now(), lookahead, batch)
    return result


def fire_due_batch(moment: datetime, batch: int) -> tuple[int, int]:
    """Fire the timers of up to `batch` due instances in one transaction; returns (instances taken, fired).

    One query takes the batch (on PostgreSQL locked, skipping rows another worker
    holds, so two workers take different batches instead of racing through the same
    ids) and one COMMIT stores it: per timer that saves two round trips and a commit,
    which is most of a timer's cost (bench/load.py). An instance whose engine step
    raises is skipped (the engine raises before anything is written). A database
    failure (on SQLite: a completion that changed an instance in between) undoes the
    batch, which is then done one instance per transaction, the slow but isolated way.
    """
    query = (db.select(Instance)
             .where(Instance.next_timer_at <= moment, Instance.status.in_(TIMER_STATUSES))
             .order_by(Instance.next_timer_at).limit(batch).execution_options(populate_existing=True))
    if is_postgres():
        query = query.with_for_update(skip_locked=True, key_share=True)  # NO KEY: see instances._LOCK_INSTANCE
    taken = db.session.execute(query).scalars().all()
    ids, fired = [instance.id for instance in taken], 0
    try:
        for instance in taken:
            try:
                ref = runtime().by_row(instance.version_id)
                with watchdog.watching(instance.id):
                    result = runtime().engine.fire_timers(ref.version, instance.state)
            except Exception as exc:  # one broken instance must not stop the others
                raise_if_unexpected(exc, *RUN_FAILURES)
                log.exception("instance %s: firing timers failed", instance.id)
                postpone(instance, moment, exc)
                continue
            instances.save(instance, result, instances.system_actor())
            fired += 1
        db.session.commit()
    except Exception as exc:  # a database failure or a conflict undoes the batch; one by one below isolates it
        db.session.rollback()
        raise_if_unexpected(exc, *DATABASE_FAILURES, *RUN_FAILURES)
        log.warning("batch of %s timer(s) undone; firing them one by one", len(ids), exc_info=True)
        fired = 0
        for instance_id in ids:
            try:
                with watchdog.watching(instance_id):
                    done = instances.fire_timers(instance_id, moment)
                if done:
                    fired += 1
            except Exception as exc:  # as above: one broken instance must not stop the others
                db.session.rollback()
                raise_if_unexpected(exc, *DATABASE_FAILURES, *RUN_FAILURES)
                log.exception("instance %s: firing timers failed", instance_id)
                instance = db.session.get(Instance, instance_id)
                if instance is not None:
                    postpone(instance, moment, exc)
                    db.session.commit()
    return len(ids), fired


def postpone(instance: Instance, moment: datetime, exc: Exception) -> None:
    """Try a timer whose firing raised again later, and tell the admins (a `timer_failed` audit event).

    Without this the instance stays due and the worker tries it every round, forever.
    The delay doubles with each failure since the instance last changed, up to an hour;
    any save (a fix by an admin, a migration) recomputes its timer from the state.
    """
    failures = db.session.execute(
        db.select(db.func.count()).select_from(AuditEvent)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.kind == "timer_failed",
               AuditEvent.at >= instance.updated_at)
    ).scalar()
    base = current_app.config["ALUR_TIMER_RETRY_SECONDS"]
    retry_at = moment + timedelta(seconds=min(3600.0, base * 2 ** min(failures, 16)))
    instance.next_timer_at = retry_at
    instances.record(instance, "timer_failed", instances.system_actor(),
                     {"message": f"{type(exc).__name__}: {exc}"[:500], "retry_at": retry_at.isoformat()})


def seconds_until_next(max_sleep: float) -> float:
    """Sleep until the earliest timer or outbox attempt, capped."""
    moments = [m for m in (instances.next_timer(), outbox.next_attempt()) if m is not None]
    db.session.rollback()
    if not moments:
        return max_sleep
    delta = (min(moments) - now()).total_seconds()
    return max(0.05, min(max_sleep, delta))


def run_forever(app: Flask, event: threading.Event | None = None) -> None:
    stop = Stop(event)
    stop.on_signals()
    with app.app_context():
        max_sleep = current_app.config["ALUR_WORKER_MAX_SLEEP"]
        prepared.discard_all()
        log.info("worker started")
        while not stop.is_set():
            try:
                done = run_once()
                if done.timers_fired or done.messages_tried:
                    log.info("fired %s timer(s), tried %s message(s)", done.timers_fired, done.messages_tried)
                # More may be waiting to be prepared: go on at once (the next round applies or fires first).
                pause = 0 if done.prepared else seconds_until_next(max_sleep)
            except Exception as exc:  # the database may be restarting: wait and try again
                db.session.rollback()
                log.exception("worker round failed")
                raise_if_unexpected(exc, *DATABASE_FAILURES)
                pause = max_sleep
            stop.wait(pause)
            db.session.remove()
        log.info("worker stopped")
