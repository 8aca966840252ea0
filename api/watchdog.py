"""The timer worker under a watchdog: one poisoned instance cannot stall the others.

The sandbox and the data bound (engine/data_bound.py) stop every known way a diagram
script can make the engine run unbounded C code, but a Python thread cannot interrupt
C code it did not foresee, nor can a signal handler run inside it. So `alur worker`
runs the timer loop (api/worker.py) in a child process and watches it from a small
parent that never runs the engine:

- the child writes, in shared memory, which instance it runs the engine for and since
  when (`watching`); nothing else is shared;
- past `ALUR_FIRING_SECONDS` on one instance, or past `ALUR_WORKER_MAX_MEMORY_MB` of
  resident memory, the parent kills the child (SIGKILL: a stuck C loop ignores
  anything milder), marks that instance `error` with a `timer_failed` event saying
  why, for the admins, and forks a new child. The killed child's transaction is lost
  whole (every write commits with its state or not at all), so the new child does that
  work again, without the bad instance: it no longer has a timer status;
- SIGTERM (or SIGINT) reaches the parent, which passes it on and waits
  `ALUR_WORKER_STOP_SECONDS` for the child to finish its round, then kills it: the
  worker stops within seconds even when the child is stuck mid-firing.

Timers are prepared ahead of their moment (api/services/prepared.py), so a poison
usually meets the watchdog while it is being prepared, before any healthy timer in
its batch is due.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.sharedctypes import SynchronizedArray

from flask import Flask

from api.failures import DATABASE_FAILURES, raise_if_unexpected
from api.stopping import Stop

log = logging.getLogger(__name__)

_PAGE = os.sysconf("SC_PAGE_SIZE")
_POLL_SECONDS = 0.1
_slot: SynchronizedArray | None = None  # in the child: [instance id, monotonic ns when its engine run began]


@contextlib.contextmanager
def watching(instance_id: int) -> Iterator[None]:
    """Tell the watchdog the engine runs for this instance now (a no-op when no watchdog runs)."""
    slot = _slot
    if slot is None:
        yield
        return
    slot[1] = time.monotonic_ns()  # CLOCK_MONOTONIC: one clock for every process of the machine
    slot[0] = instance_id
    try:
        yield
    finally:
        slot[0] = 0


def resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _child(app: Flask, slot: SynchronizedArray, run: Callable[[Flask], None]) -> None:
    global _slot
    _slot = slot
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)  # run() installs its own: stop after the round
    with app.app_context():
        from api.db import db

        db.engine.dispose(close=False)  # connections made by the parent are not this process's
    run(app)


def supervise(app: Flask, run: Callable[[Flask], None], event: threading.Event | None = None) -> None:
    """Run `run(app)` in a child process, restarted after a watchdog kill, until SIGTERM/SIGINT."""
    stop = Stop(event)
    stop.on_signals()
    limit_seconds = float(app.config["ALUR_FIRING_SECONDS"])
    limit_bytes = int(app.config["ALUR_WORKER_MAX_MEMORY_MB"]) * 1024 * 1024
    grace = float(app.config["ALUR_WORKER_STOP_SECONDS"])
    context = multiprocessing.get_context("fork")  # the child starts with the app already built
    while not stop.is_set():
        slot = context.Array("q", 2, lock=False)
        child = context.Process(target=_child, args=(app, slot, run), name="alur-worker", daemon=False)
        child.start()
        log.info("watchdog: worker process %s started", child.pid)
        reason, instance_id = None, 0
        while child.is_alive():
            if stop.wait(_POLL_SECONDS):
                _stop_child(child, grace, limit_bytes)
                break
            instance_id = slot[0]
            elapsed = (time.monotonic_ns() - slot[1]) / 1e9 if instance_id else 0.0
            rss = resident_bytes(child.pid)
            if instance_id and elapsed > limit_seconds:
                reason = f"mesin alur berjalan lebih dari {limit_seconds:g} detik untuk kasus ini; dihentikan"
            elif rss > limit_bytes:
                reason = (f"pekerja timer memakai memori lebih dari {limit_bytes // 2**20} MB "
                          "untuk kasus ini; dihentikan")
            if reason:
                child.kill()
                child.join(5)
                break
        if reason is None and not stop.is_set():
            log.error("watchdog: worker process exited with %s; starting another", child.exitcode)
            stop.wait(1.0)  # a child that dies at once (database down) must not be forked in a tight loop
        elif reason is not None:
            log.error("watchdog: killed worker process %s: %s (instance %s)", child.pid, reason, instance_id or "-")
            if instance_id:
                _mark_failed(app, instance_id, reason)
    log.info("watchdog: stopped")


def _stop_child(child: multiprocessing.process.BaseProcess, grace: float, limit_bytes: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGTERM)
    started = time.monotonic()
    while child.is_alive() and time.monotonic() - started < grace and resident_bytes(child.pid) <= limit_bytes:
        child.join(_POLL_SECONDS)
    if child.is_alive():  # stuck in C code, where its handler cannot run
        log.warning("watchdog: worker process %s did not stop on SIGTERM; killed after %.1f s",
                    child.pid, time.monotonic() - started)
        child.kill()
        child.join(5)


def _mark_failed(app: Flask, instance_id: int, reason: str) -> None:
    """The instance the killed child was running: out of the worker's way, and visible to the admins."""
    from api.db import db
    from api.models import TIMER_STATUSES, Instance, PreparedFiring
    from api.services import instances

    with app.app_context():
        try:
            instance = db.session.get(Instance, instance_id)
            if instance is None or instance.status not in TIMER_STATUSES:
                db.session.rollback()
                return
            instance.status = "error"
            instance.next_timer_at = None
            db.session.execute(db.delete(PreparedFiring).where(PreparedFiring.instance_id == instance_id))
            instances.record(instance, "timer_failed", instances.system_actor(),
                             {"message": reason, "watchdog": True})
            db.session.commit()
        except Exception as exc:  # the database may be away: the next child meets the instance again, and so do we
            db.session.rollback()
            log.exception("watchdog: could not mark instance %s failed", instance_id)
            raise_if_unexpected(exc, *DATABASE_FAILURES)
        finally:
            db.session.remove()
            db.engine.dispose()
