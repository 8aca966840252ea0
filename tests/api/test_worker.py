"""The worker fires due timers, once each, and a crash mid-batch loses nothing."""

from __future__ import annotations

from datetime import datetime
from unittest import mock

from sqlalchemy.orm.exc import StaleDataError

from api import worker
from api.db import db
from api.models import AuditEvent, Instance
from api.services import instances as instance_service
from tests.api.conftest import REPORT, WIB, inbox, start_report


def test_a_due_timer_fires_and_its_escalation_reaches_the_head(app, client, users, clock):
    started = start_report(client, users)
    with app.app_context():
        assert worker.run_once().timers_fired == 0  # not due yet
    assert inbox(client, users, "kepala") == []

    clock.advance(days=8, hours=8)  # past 25 March 16:00 WIB
    with app.app_context():
        assert worker.run_once().timers_fired == 1
        assert worker.run_once().timers_fired == 0  # fired once only

    assert [t["name"] for t in inbox(client, users, "kepala")] == ["tegur"]
    assert [t["late"] for t in inbox(client, users, "petugas")] == [True]  # non-interrupting: the desk still has it
    events = client.get(f"/api/v1/admin/instances/{started['id']}", headers=users.headers("admin")).get_json()["events"]
    fired = [e for e in events if e["kind"] == "timer_fired"]
    assert len(fired) == 1 and fired[0]["actor"] == "sistem"


def test_the_worker_sleeps_until_the_earliest_due_moment(app, client, users, clock):
    start_report(client, users)
    with app.app_context():
        assert worker.seconds_until_next(max_sleep=5) == 5
        clock.set(datetime(2026, 3, 25, 15, 59, 58, tzinfo=WIB))  # 2 s before the deadline
        assert worker.seconds_until_next(max_sleep=5) == 2


def test_a_crash_mid_batch_keeps_what_was_fired_and_leaves_the_rest_for_the_next_round(app, client, users, clock):
    for _ in range(3):
        start_report(client, users, {**REPORT})
    clock.advance(days=9)
    calls = {"n": 0}
    with app.app_context():
        engine = instance_service.runtime().engine
        original = engine.fire_timers

        def flaky(version, state):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("listrik padam")
            return original(version, state)

        # A crash of any kind, as in production: the worker logs it and goes on (tests otherwise raise the
        # unexpected, see api/failures.py).
        app.config["ALUR_RAISE_UNEXPECTED"] = False
        with mock.patch.object(engine, "fire_timers", side_effect=flaky):
            assert worker.run_once().timers_fired == 2
        db.session.remove()
        pending = db.session.execute(db.select(Instance.id).where(Instance.next_timer_at.is_not(None))).scalars().all()
        assert len(pending) == 1  # the crashed one kept its timer and its old state
        assert worker.run_once().timers_fired == 0  # tried again a minute later, not at once (no spinning)
        clock.advance(seconds=61)
        assert worker.run_once().timers_fired == 1
        assert db.session.execute(
            db.select(db.func.count()).select_from(AuditEvent).filter_by(kind="timer_fired")).scalar() == 3


def test_two_workers_never_fire_the_same_timer_twice(app, client, users, clock):
    """Both read the instance as due; the version counter lets only the first one's save through."""
    start_report(client, users)
    clock.advance(days=9)
    with app.app_context():
        [instance_id] = instance_service.due_instance_ids(clock.now())
        stale = db.session.get(Instance, instance_id)
        db.session.expunge(stale)  # a second worker's copy, read before the first one commits
        assert instance_service.fire_timers(instance_id, clock.now()) is True
        db.session.add(stale)
        ref = instance_service.runtime().by_row(stale.version_id)
        result = instance_service.runtime().engine.fire_timers(ref.version, stale.state)
        try:
            instance_service.save(stale, result, instance_service.system_actor())
            db.session.commit()
            raise AssertionError("the stale save went through")
        except StaleDataError:
            db.session.rollback()
        fired = db.session.execute(
            db.select(db.func.count()).select_from(AuditEvent).filter_by(kind="timer_fired")).scalar()
        assert fired == 1
