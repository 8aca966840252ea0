"""kill -9 in the middle of work: a request or a timer firing leaves all of its change or none of it.

Two ways to cut work off. Under load: kill -9 the gunicorn workers, the timer
workers and then the whole gunicorn while clients keep going, restart, finish
every case and check the invariants. Exactly at the worst moment: a process that
has flushed every row of a completion (or a timer firing) is killed just before
COMMIT; nothing of it may remain and nothing may stay locked.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from api.db import db
from api.models import AuditEvent, Instance, PendingTask
from api.services import instances, prepared
from tests.load import invariants, servers
from tests.load.clients import Journal, drive, finish_everything, soon
from tests.load.project import REGION

SCALE = {
    "postgresql": {"desk": 10, "analysts": 6, "heads": 4, "seconds": 22},  # 20 clients, as in test_concurrency
    "sqlite": {"desk": 5, "analysts": 3, "heads": 2, "seconds": 16},
}


def test_kill_9_of_web_and_timer_workers_mid_load_loses_or_doubles_nothing(make_stack, backend):
    scale = SCALE[backend]
    stack = make_stack(scale["desk"], scale["analysts"], scale["heads"])
    web = [stack.gunicorn(workers=2)]
    timer_workers = [stack.worker(), stack.worker()]
    tokens = stack.tokens(web[0].url)
    result: list[Journal] = []
    load = threading.Thread(target=lambda: result.append(drive(
        lambda: web[0].url, [(stack.users[name], token) for name, token in tokens.items()],
        actions=10_000, seconds=scale["seconds"], start_share=0.35, tempo=(0.5, 5))))
    load.start()
    try:
        time.sleep(3)
        killed = web[0].kill_workers()  # the master forks new workers; requests in flight are cut
        assert killed
        time.sleep(2)
        for worker in timer_workers:
            worker.stop(signal.SIGKILL)
        timer_workers[:] = [stack.worker(), stack.worker()]
        time.sleep(2)
        web[0].stop(signal.SIGKILL)  # the whole server, master included: a power cut
        web[0] = stack.gunicorn(workers=2)
    finally:
        load.join(timeout=scale["seconds"] + 180)
    [journal] = result

    stack.wait_for_timers()
    finish_everything(web[0].url, tokens, journal)
    report = invariants.check(stack.app)

    assert journal.unexpected() == [], "only cut connections, never an error answer"
    assert journal.cut(), "the kills really cut requests off"
    assert report.problems == []
    cut_starts = sum(1 for c in journal.cut() if c.action == "start")
    assert journal.count("start", 201) <= report.instances <= journal.count("start", 201) + cut_starts
    assert report.statuses == {"complete": report.instances}
    assert max(journal.completed_ok().values()) == 1
    told_done = set(journal.completed_ok())
    assert told_done <= report.completed_task_ids, "every completion answered 200 is stored"
    cut_completions = {c.task_id for c in journal.cut() if c.action == "complete"}
    assert report.completed_task_ids <= told_done | cut_completions
    assert report.tasks_completed == 2 * report.instances + report.timers_fired


# Run in a child process: flush every row of one unit of work, then die by SIGKILL where COMMIT would be.
DIE_AT_COMMIT = """
import os, signal, sys, traceback
from sqlalchemy.orm import Session
from tests.load import servers
app = servers.app_for(sys.argv[1], sys.argv[2], sys.argv[3])
client = app.test_client()
token = client.post("/api/v1/auth/login", json={"username": "petugas0", "password": servers.PASSWORD}).get_json()["token"]
def die(self):  # say where COMMIT was called from (the parent checks it), then die before it runs
    sys.stderr.write("".join(traceback.format_stack()))
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)
Session.commit = die
if sys.argv[4] == "complete":
    client.post(f"/api/v1/tasks/{sys.argv[5]}/complete", json={"data": {"catatan": "hampir"}},
                headers={"Authorization": f"Bearer {token}"})
else:
    from api import worker
    with app.app_context():
        worker.run_once()
sys.exit("not killed")
"""


def die_at_commit(stack, *args: str) -> str:
    """Run the unit of work in a child killed at its first COMMIT; returns the stack that COMMIT came from."""
    child = subprocess.run([sys.executable, "-c", DIE_AT_COMMIT, stack.url, str(stack.processes), str(stack.forms),
                            *args], cwd=servers.ROOT, env=stack.env, capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    return child.stderr.decode()


def snapshot(stack, instance_id: int) -> tuple:
    with stack.app.app_context():
        instance = db.session.get(Instance, instance_id)
        rows = db.session.execute(db.select(PendingTask.id, PendingTask.name).filter_by(instance_id=instance_id)).all()
        kinds = db.session.execute(db.select(AuditEvent.kind).filter_by(instance_id=instance_id)
                                   .order_by(AuditEvent.id)).scalars().all()
        taken = (instance.lock_version, instance.status, instance.state, instance.next_timer_at, sorted(rows), kinds)
        db.session.remove()
        return taken


def start_case(stack, tempo: str) -> tuple[int, str]:
    with stack.app.app_context():
        ref = instances.runtime().current("uji_beban")
        case = instances.start(ref, {"judul": "Hampir", "wilayah": REGION, "tempo": tempo}, instances.Actor("uji"))
        task_id = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=case.id, name="periksa")
                                     ).scalar_one()
        case_id = case.id
        db.session.remove()
    return case_id, task_id


def test_a_completion_killed_just_before_commit_leaves_nothing_and_locks_nothing(make_stack):
    stack = make_stack(desk=1, analysts=1, heads=0)
    case_id, task_id = start_case(stack, soon(3600))
    before = snapshot(stack, case_id)

    where = die_at_commit(stack, "complete", task_id)

    assert "in complete" in where, where[-1500:]

    assert snapshot(stack, case_id) == before
    web = stack.gunicorn(workers=1)  # and the instance is not stuck: the next try goes through at once
    journal = Journal()
    finish_everything(web.url, stack.tokens(web.url), journal, seconds=30)
    assert journal.count("complete", 200) == 2 and journal.unexpected() == []
    assert invariants.check(stack.app).problems == []


def test_a_timer_firing_killed_just_before_commit_fires_once_on_the_next_round(make_stack):
    stack = make_stack(desk=1, analysts=0, heads=0)
    case_id, _ = start_case(stack, soon(1.5))  # not due while it starts, even on a loaded machine
    time.sleep(2)
    before = snapshot(stack, case_id)

    where = die_at_commit(stack, "fire")

    assert "in fire_due_batch" in where, where[-1500:]
    assert snapshot(stack, case_id) == before
    stack.worker()
    stack.wait_for_timers(seconds=30)
    report = invariants.check(stack.app)
    assert report.problems == [] and report.timers_fired == 1


def test_a_bulk_apply_of_prepared_firings_killed_just_before_commit_leaves_nothing_and_fires_once_later(make_stack):
    stack = make_stack(desk=1, analysts=0, heads=0)
    due = datetime.now(UTC) + timedelta(seconds=4)  # time enough to start and prepare, even on a loaded machine
    cases = [start_case(stack, due.isoformat())[0] for _ in range(3)]
    with stack.app.app_context():
        assert prepared.prepare(datetime.now(UTC), lookahead=300) == 3
        db.session.remove()
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.5)  # due now, well within the bound
    before = [snapshot(stack, case_id) for case_id in cases]

    where = die_at_commit(stack, "fire")

    assert "in apply_due" in where, where[-1500:]
    assert [snapshot(stack, case_id) for case_id in cases] == before
    stack.worker()
    stack.wait_for_timers(seconds=30)
    report = invariants.check(stack.app)
    assert report.problems == [] and report.timers_fired == 3
