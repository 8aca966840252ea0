"""`alur worker`: fires due timers and delivers the outbox.

It finds work by the indexed `next_timer_at` / `next_attempt_at` columns, handles each
instance in its own transaction (a fired timer is committed with its state or not at
all, so a crash mid-batch loses nothing and repeats nothing), and on PostgreSQL
skips rows another worker holds (`FOR UPDATE SKIP LOCKED`), so several workers can
run side by side. Between rounds it sleeps until the earliest due moment, at most
`ALUR_WORKER_MAX_SLEEP` seconds (new instances may bring an earlier timer).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

from api import outbox
from api.db import db, is_postgres
from api.models import TIMER_STATUSES, Instance
from api.services import instances
from api.services.versions import runtime
from engine import now

log = logging.getLogger(__name__)


@dataclass
class RoundResult:
    timers_fired: int = 0
    messages_tried: int = 0


def run_once(batch: int = 50) -> RoundResult:
    """One round: every instance whose timer is due now, then every due outbox message."""
    runtime().ensure_synced()
    result = RoundResult()
    moment = now()
    while True:
        claimed, fired = fire_due_batch(moment, batch)
        result.timers_fired += fired
        if claimed < batch or fired == 0:
            break
    result.messages_tried = outbox.deliver_due()
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
                result = runtime().engine.fire_timers(ref.version, instance.state)
            except Exception:  # one broken instance must not stop the others
                log.exception("instance %s: firing timers failed", instance.id)
                continue
            instances.save(instance, result, instances.system_actor())
            fired += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning("batch of %s timer(s) undone; firing them one by one", len(ids), exc_info=True)
        fired = 0
        for instance_id in ids:
            try:
                if instances.fire_timers(instance_id, moment):
                    fired += 1
            except Exception:
                db.session.rollback()
                log.exception("instance %s: firing timers failed", instance_id)
    return len(ids), fired


def seconds_until_next(max_sleep: float) -> float:
    """Sleep until the earliest timer or outbox attempt, capped."""
    moments = [m for m in (instances.next_timer(), outbox.next_attempt()) if m is not None]
    db.session.rollback()
    if not moments:
        return max_sleep
    delta = (min(moments) - now()).total_seconds()
    return max(0.05, min(max_sleep, delta))


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(ValueError):  # not the main thread (tests)
            signal.signal(sig, lambda *_: stop.set())
    with app.app_context():
        max_sleep = current_app.config["ALUR_WORKER_MAX_SLEEP"]
        log.info("worker started")
        while not stop.is_set():
            try:
                done = run_once()
                if done.timers_fired or done.messages_tried:
                    log.info("fired %s timer(s), tried %s message(s)", done.timers_fired, done.messages_tried)
                pause = seconds_until_next(max_sleep)
            except Exception:  # the database may be restarting: wait and try again
                db.session.rollback()
                log.exception("worker round failed")
                pause = max_sleep
            stop.wait(pause)
            db.session.remove()
        log.info("worker stopped")
