"""One poisoned instance among many timers: the others fire on time, the bad one is marked, SIGTERM stops the worker.

The poison is the script `y = [[0] * 999999] * 999999`: each repetition is under the
sandbox's item limit and the inner list is shared, so the script itself runs in
microseconds, but its data written as JSON would hold 10^12 elements. Two layers
stop it, each shown here against a real `alur worker` process on both databases:

- the data bound refuses it as the script ends (the instance errs at that task, the
  field named), so the worker never notices anything;
- with the bound turned off (`ALUR_MAX_DATA_BYTES=0`), serializing it hangs in C code
  and grows memory, as before the bound existed: the watchdog kills the worker
  process, marks the instance failed for the admins, and a new worker process fires
  every other timer on time; SIGTERM in the middle of such a firing stops it within
  `ALUR_WORKER_STOP_SECONDS`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.db import db
from api.models import AuditEvent, Instance
from api.services import instances
from tests.api.conftest import write_form
from tests.load import servers
from tests.poison import POISON, PROCESS, diagram

HEALTHY = 40
AHEAD = 15.0  # seconds from start to the common moment: time for the worker to prepare (and meet the poison)
WATCHDOG = {"ALUR_FIRING_SECONDS": "5", "ALUR_WORKER_MAX_MEMORY_MB": "700", "ALUR_WORKER_STOP_SECONDS": "2"}


def write_project(root: Path) -> tuple[Path, Path]:
    processes, forms = root / "processes", root / "forms"
    processes.mkdir(parents=True)
    write_form(forms, "racun/mulai.schema.json",
               {"tempo": {"type": "string", "format": "date-time"}, "racun": {"type": "boolean"}}, ["tempo", "racun"])
    (processes / "racun.bpmn").write_text(diagram(POISON), encoding="utf-8")
    return processes, forms


@pytest.fixture
def database(backend: str, tmp_path: Path):
    processes, forms = write_project(tmp_path)
    if backend == "sqlite":
        url = servers.sqlite_url(tmp_path / "alur.db")
        servers.setup_database(url, processes, forms, {})
        yield url, processes, forms
        return
    with servers.fresh_postgres() as url:
        servers.setup_database(url, processes, forms, {})
        yield url, processes, forms


def start_cases(app, moment: datetime, poisoned: int, healthy: int = HEALTHY) -> tuple[list[int], list[int]]:
    """`healthy` cases due over the 4 s from `moment`, and `poisoned` cases due at `moment` itself."""
    with app.app_context():
        ref = instances.runtime().current(PROCESS)
        actor = instances.Actor("uji")
        bad = [instances.start(ref, {"tempo": moment.isoformat(), "racun": True}, actor).id for _ in range(poisoned)]
        good = [instances.start(ref, {"tempo": (moment + timedelta(seconds=i * 4 / healthy)).isoformat(),
                                      "racun": False}, actor).id for i in range(healthy)]
        db.session.remove()
    return bad, good


def lateness(app, ids: list[int]) -> list[float]:
    """Seconds from each instance's due moment to its stored `timer_fired` event."""
    with app.app_context():
        found = []
        for instance_id in ids:
            instance = db.session.get(Instance, instance_id)
            due = datetime.fromisoformat(instances.runtime().engine.inspect(
                instances.runtime().by_row(instance.version_id).version, instance.state).data["tempo"])
            fired = db.session.execute(db.select(AuditEvent.at).filter_by(
                instance_id=instance_id, kind="timer_fired")).scalar_one()
            found.append((fired - due).total_seconds())
        db.session.remove()
    return found


def wait_until(check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"not reached within {seconds} s")


def statuses(app, ids: list[int]) -> dict[int, str]:
    with app.app_context():
        found = dict(db.session.execute(db.select(Instance.id, Instance.status).where(Instance.id.in_(ids))).all())
        db.session.remove()
    return found


def events_of(app, instance_id: int, kind: str) -> list[AuditEvent]:
    with app.app_context():
        found = db.session.execute(db.select(AuditEvent).filter_by(instance_id=instance_id, kind=kind)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return found


def stop_with_sigterm(worker: servers.TimerWorker) -> float:
    started = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    try:
        worker.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker ignored SIGTERM for 30 s")
    return time.monotonic() - started


def test_the_data_bound_errs_the_poisoned_instance_and_every_other_timer_fires_on_time(database, tmp_path):
    url, processes, forms = database
    app = servers.app_for(url, processes, forms)
    moment = datetime.now(UTC) + timedelta(seconds=AHEAD)
    [bad], good = start_cases(app, moment, poisoned=1)
    worker = servers.TimerWorker(servers.server_env(url, processes, forms, **WATCHDOG), tmp_path / "worker.log")
    with servers.running(worker):
        worker.start()
        wait_until(lambda: set(statuses(app, good).values()) == {"running"}, AHEAD + 30)
        wait_until(lambda: statuses(app, [bad])[bad] == "error", 10)
        late = lateness(app, good)
        stopped_in = stop_with_sigterm(worker)

    [error] = events_of(app, bad, "error")
    assert error.task_name == "olah_data"
    assert "melebihi batas 1000000 byte" in error.detail["message"]
    assert "isian 'y' terlalu besar" in error.detail["message"]
    print(f"\nhealthy timers' lateness: median {statistics.median(late):.3f} s, max {max(late):.3f} s; "
          f"SIGTERM stop {stopped_in:.2f} s")
    assert max(late) < 2.0, "every healthy timer fires at its moment, as if the poison were not there"
    assert worker.process is None or worker.process.returncode == 0
    assert "killed worker process" not in (tmp_path / "worker.log").read_text(), "the bound alone stopped it"


def test_without_the_bound_the_watchdog_kills_the_stuck_worker_marks_the_instance_and_the_rest_fire(database,
                                                                                                    tmp_path):
    url, processes, forms = database
    app = servers.app_for(url, processes, forms, ALUR_MAX_DATA_BYTES=0)
    moment = datetime.now(UTC) + timedelta(seconds=AHEAD)
    [bad], good = start_cases(app, moment, poisoned=1)
    env = servers.server_env(url, processes, forms, ALUR_MAX_DATA_BYTES="0", **WATCHDOG)
    log = tmp_path / "worker.log"
    worker = servers.TimerWorker(env, log)
    with servers.running(worker):
        worker.start()
        wait_until(lambda: statuses(app, [bad])[bad] == "error", AHEAD)  # met while preparing, before the moment
        wait_until(lambda: set(statuses(app, good).values()) == {"running"}, AHEAD + 30)
        late = lateness(app, good)
        # A second poison, due at once: SIGTERM while the worker process is stuck serializing it.
        idle = _cpu_seconds(worker)
        [again], _ = start_cases(app, datetime.now(UTC) + timedelta(seconds=1), poisoned=1, healthy=0)
        wait_until(lambda: _cpu_seconds(worker) - idle > 0.3, 10)  # an idle worker uses a few ms a second
        stopped_in = stop_with_sigterm(worker)

    [failed] = events_of(app, bad, "timer_failed")
    assert failed.detail["watchdog"] is True
    assert "dihentikan" in failed.detail["message"]
    with app.app_context():
        assert db.session.get(Instance, bad).next_timer_at is None, "not tried again in a loop"
        db.session.remove()
    text = log.read_text()
    print(f"\nwithout the bound: healthy lateness median {statistics.median(late):.3f} s, max {max(late):.3f} s; "
          f"SIGTERM mid-firing stop {stopped_in:.2f} s")
    assert max(late) < 2.0, "the poison was met while preparing, ahead of the moment: the rest fire on time"
    assert "did not stop on SIGTERM; killed" in text, "SIGTERM came while the worker process was stuck"
    assert stopped_in < 6.0
    assert statuses(app, [again])[again] == "waiting", "a stop is not a verdict on the instance being fired"


def _cpu_seconds(worker: servers.TimerWorker) -> float:
    """CPU time used by the worker's child processes (the ones running the engine)."""
    total = 0.0
    for pid in servers.children_of(worker.process.pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total
