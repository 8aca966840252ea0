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

from flask import Flask, current_app

from api import outbox
from api.db import db
from api.services import instances
from api.services.versions import runtime
from engine import now

log = logging.getLogger(__name__)


@dataclass
class RoundResult:
    timers_fired: int = 0
    messages_tried: int = 0


def run_once(batch: int = 100) -> RoundResult:
    """One round: every instance whose timer is due now, then every due outbox message."""
    runtime().ensure_synced()
    result = RoundResult()
    moment = now()
    while True:
        ids = instances.due_instance_ids(moment, batch)
        fired_this_batch = 0
        for instance_id in ids:
            try:
                if instances.fire_timers(instance_id, moment):
                    fired_this_batch += 1
            except Exception:  # one broken instance must not stop the others
                db.session.rollback()
                log.exception("instance %s: firing timers failed", instance_id)
        result.timers_fired += fired_this_batch
        if len(ids) < batch or fired_this_batch == 0:
            break
    result.messages_tried = outbox.deliver_due()
    return result


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
