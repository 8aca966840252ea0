"""Many people and two timer workers on the same cases at once, through real gunicorn workers.

Desk clients start cases whose timers come due seconds later, while every client
claims and completes tasks from the same inboxes. Timer workers fire due timers
while people complete the very task the timer is attached to. Afterwards every
instance's stored rows agree with its state, nothing happened twice, and the
counts add up with what the clients were told.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from api.db import db
from api.models import PendingTask
from api.services import instances
from tests.load import invariants
from tests.load.clients import Client, drive, finish_everything, soon
from tests.load.project import REGION

# PostgreSQL is production: the full 20+ clients. SQLite (one writer at a time) gets a smaller crowd.
SCALE = {
    "postgresql": {"desk": 10, "analysts": 6, "heads": 4, "web_workers": 3, "actions": 40, "seconds": 25},
    "sqlite": {"desk": 5, "analysts": 3, "heads": 2, "web_workers": 2, "actions": 25, "seconds": 15},
}


def test_concurrent_clients_and_two_timer_workers_leave_every_instance_consistent(make_stack, backend):
    scale = SCALE[backend]
    stack = make_stack(scale["desk"], scale["analysts"], scale["heads"])
    web = stack.gunicorn(workers=scale["web_workers"])
    stack.worker(), stack.worker()
    tokens = stack.tokens(web.url)

    journal = drive(lambda: web.url, [(stack.users[name], token) for name, token in tokens.items()],
                    actions=scale["actions"], seconds=scale["seconds"], start_share=0.35, tempo=(0.5, 6))
    # On a fast machine the crowd may finish every case before its timer: a few more that nobody
    # works until their timers fire make sure the escalation path is counted too.
    desk = Client(web.url, tokens["petugas0"], journal)
    for _ in range(3):
        desk.start(soon(1))
    stack.wait_for_timers()
    finish_everything(web.url, tokens, journal)
    report = invariants.check(stack.app)

    assert journal.unexpected() == [], "no error responses under load"
    assert journal.cut() == []
    assert report.problems == []
    started = journal.count("start", 201)
    assert report.instances == started > 0
    assert report.statuses == {"complete": started}
    assert max(journal.completed_ok().values()) == 1, "no task completed twice"
    assert report.tasks_completed == journal.count("complete", 200)
    # Each case has two tasks of its own, plus the head's task for each timer that fired before the check.
    assert report.tasks_completed == 2 * started + report.timers_fired
    assert report.timers_fired > 0, "some timers came due while their task was still open"
    assert report.outbox_rows == 2 * started
    # The race really happened: someone lost it and was told so.
    assert journal.count("complete", 409) + journal.count("claim", 409) > 0


def test_a_claim_does_not_wait_for_a_completion_holding_the_instance(make_stack, backend):
    """A completion holds its instance row while the engine runs; a claim on the same instance's task
    writes an audit row referencing the instance. If the holder's lock blocked that reference, and the
    holder then waited for the claimed task row, PostgreSQL would break the deadlock with a 500."""
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    stack = make_stack(desk=1, analysts=0, heads=0)
    web = stack.gunicorn(workers=1)
    with stack.app.app_context():
        ref = instances.runtime().current("uji_beban")
        case = instances.start(ref, {"judul": "Kunci", "wilayah": REGION, "tempo": soon(3600)},
                               instances.Actor("uji"))
        task_id = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=case.id)).scalar_one()
    holding, release = threading.Event(), threading.Event()

    def completion_in_progress() -> None:
        with stack.app.app_context():
            instances.lock_instance(case.id)
            holding.set()
            release.wait(timeout=30)
            db.session.rollback()

    holder = threading.Thread(target=completion_in_progress)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        token = stack.tokens(web.url)["petugas0"]
        begin = time.monotonic()
        answer = requests.post(f"{web.url}/api/v1/tasks/{task_id}/claim", timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and time.monotonic() - begin < 5
    finally:
        release.set()
        holder.join(timeout=30)
