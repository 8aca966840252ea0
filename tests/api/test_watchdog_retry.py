"""An instance the worker's watchdog stopped can be run again by an admin, under the same watchdog.

The poison is tests/load/test_poison.py's, `y = [[0] * 999999] * 999999`, with the data
bound turned off: serializing the state after that script hangs in C code and grows
memory, which only the watchdog can stop. Here the real watchdog (api/watchdog.py)
runs the real worker loop in a forked process, with a one-second engine limit.
A retry hands the instance back to that worker: without a fix the watchdog stops
it again and it is marked failed again with the reason, while the other timers
fire; after a fix (a corrected version it is moved to) it goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import watchdog
from api import worker as timer_worker
from api.db import db
from api.models import ORIGIN_CLI, AuditEvent, Instance, PendingTask
from api.services import deploy, instances
from tests.api.conftest import PASSWORD, Users, empty_tables, make_app, write_form
from tests.poison import POISON, PROCESS, diagram


@pytest.fixture
def app(database: str, tmp_path: Path) -> Iterator[Flask]:
    """The real clock: the forked worker runs on its own, as `alur worker` does."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    processes.mkdir()
    write_form(forms, "racun/mulai.schema.json",
               {"tempo": {"type": "string", "format": "date-time"}, "racun": {"type": "boolean"}}, ["tempo", "racun"])
    (processes / "racun.bpmn").write_text(diagram(POISON), encoding="utf-8")
    # The memory limit sits above what this test process already holds (the forked worker shares it).
    memory_mb = watchdog.resident_bytes(os.getpid()) // 2**20 + 300
    app = make_app(database, processes, forms, ALUR_MAX_DATA_BYTES=0, ALUR_FIRING_SECONDS=1.0,
                   ALUR_WORKER_MAX_MEMORY_MB=memory_mb, ALUR_WORKER_STOP_SECONDS=1.0, ALUR_WORKER_MAX_SLEEP=0.1)
    with app.app_context():
        empty_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def users(app: Flask, client: FlaskClient) -> Users:
    people = Users(app, client)
    people.add("admin", ("Admin", ""))
    return people


def supervise(app: Flask) -> None:
    """What `alur worker` runs, in a process of its own, with the connections of this process left alone."""
    with app.app_context():
        db.engine.dispose(close=False)
    watchdog.supervise(app, timer_worker.run_forever)


@pytest.fixture
def worker(app: Flask) -> Iterator[None]:
    """The watchdog in a parent process, the timer loop in the child it forks (a process, not a thread:
    forking while another thread holds a lock would leave the child stuck on it)."""
    with app.app_context():  # the diagrams stored before two processes could both try to
        instances.runtime().ensure_synced()
        db.session.commit()
        db.session.remove()
    process = multiprocessing.get_context("fork").Process(target=supervise, args=(app,), name="alur-watchdog")
    process.start()
    yield
    process.terminate()  # SIGTERM, as a service manager stops it
    process.join(30)
    assert process.exitcode == 0, "the watchdog stops cleanly on SIGTERM"


def start(app: Flask, poisoned: bool) -> int:
    """A case whose timer is due in a second; the poisoned one's script runs when it fires (or is prepared)."""
    with app.app_context():
        ref = instances.runtime().current(PROCESS)
        data = {"tempo": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(), "racun": poisoned}
        instance_id = instances.start(ref, data, instances.Actor("uji")).id
        db.session.remove()
    return instance_id


def wait_for(app: Flask, check: Callable[[], bool], seconds: float = 40.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            reached = check()
            db.session.remove()
        if reached:
            return
        time.sleep(0.2)
    raise TimeoutError(f"not reached within {seconds} s")


def status(instance_id: int) -> str:
    return db.session.execute(db.select(Instance.status).filter_by(id=instance_id)).scalar_one()


def stops(instance_id: int) -> list[dict]:
    """The watchdog's `timer_failed` events of an instance, oldest first."""
    return [e.detail for e in db.session.execute(
        db.select(AuditEvent).filter_by(instance_id=instance_id, kind="timer_failed").order_by(AuditEvent.id)
    ).scalars() if e.detail.get("watchdog")]


def pending(instance_id: int) -> list[str]:
    return list(db.session.execute(db.select(PendingTask.name).filter_by(instance_id=instance_id)).scalars())


def test_a_retry_without_a_fix_is_stopped_again_with_the_reason_and_the_other_timers_still_fire(
        app: Flask, client: FlaskClient, users: Users, worker: None) -> None:
    bad = start(app, poisoned=True)
    wait_for(app, lambda: status(bad) == "error" and len(stops(bad)) == 1)

    answer = client.post(f"/api/v1/admin/instances/{bad}/retry", json={}, headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "waiting", "handed back to the worker, not run in the request"
    healthy = start(app, poisoned=False)

    wait_for(app, lambda: len(stops(bad)) == 2 and status(bad) == "error")
    wait_for(app, lambda: pending(healthy) == ["tindak"])
    with app.app_context():
        first, again = stops(bad)
        assert again["message"] == first["message"] and "dihentikan" in again["message"]
        assert db.session.get(Instance, bad).next_timer_at is None, "out of the worker's way again"
        [retried] = db.session.execute(
            db.select(AuditEvent).filter_by(instance_id=bad, kind="instance_retried")).scalars().all()
        assert retried.actor == "admin" and retried.detail["to_worker"] is True


def test_a_retry_after_moving_to_a_corrected_version_goes_on_from_the_stopped_timer(
        app: Flask, client: FlaskClient, users: Users, worker: None) -> None:
    bad = start(app, poisoned=True)
    wait_for(app, lambda: status(bad) == "error" and len(stops(bad)) == 1)
    before = client.post(f"/api/v1/admin/instances/{bad}/retry", json={}, headers=users.headers("admin"))
    assert before.status_code == 200, before.get_json()
    wait_for(app, lambda: len(stops(bad)) == 2)  # the poison is still in v1

    with app.app_context():
        forms = app.config["ALUR_FORMS_DIR"]
        fixed = deploy.deploy({"racun.bpmn": diagram("y = 0"),
                               "forms/racun/mulai.schema.json": (forms / "racun/mulai.schema.json").read_text()},
                              "admin", ORIGIN_CLI, "olah data tanpa racun")
        assert fixed.ok, fixed.message
    moved = client.post("/api/v1/migrations", json={"process_id": PROCESS, "instance_id": bad},
                        headers=users.headers("admin"))
    assert moved.status_code == 200, moved.get_json()
    [result] = moved.get_json()["results"]
    assert result["outcome"] == "migrated" and result["status"] == "error", "moved, still failed until retried"

    answer = client.post(f"/api/v1/admin/instances/{bad}/retry", json={}, headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    wait_for(app, lambda: pending(bad) == ["tindak"])
    with app.app_context():
        assert status(bad) == "running"
        assert len(stops(bad)) == 2, "not stopped a third time"
        fired = db.session.execute(db.select(AuditEvent).filter_by(instance_id=bad, kind="timer_fired")).scalars()
        assert [e.task_name for e in fired] == ["tunggu"]


def test_the_admin_page_shows_why_the_watchdog_stopped_the_case_and_offers_the_retry(
        app: Flask, client: FlaskClient, users: Users, worker: None) -> None:
    bad = start(app, poisoned=True)
    wait_for(app, lambda: status(bad) == "error" and len(stops(bad)) == 1)
    page_client = app.test_client()
    login = page_client.get("/masuk").get_data(as_text=True)
    token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert page_client.post("/masuk", data={"username": "admin", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302

    page = page_client.get(f"/admin/instance/{bad}").get_data(as_text=True)
    assert "Dihentikan pengawas pekerja timer: mesin alur berjalan lebih dari 1 detik" in page \
        or "Dihentikan pengawas pekerja timer: pekerja timer memakai memori" in page
    assert "Coba ulang" in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    acted = page_client.post(f"/admin/instance/{bad}/ulangi", data={"csrf_token": token}, follow_redirects=True)
    assert "Kasus diserahkan kembali ke pekerja timer" in acted.get_data(as_text=True)
    wait_for(app, lambda: len(stops(bad)) == 2)
