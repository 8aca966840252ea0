"""The worker does not spin on what it cannot do: a timer whose firing raises, a message nobody can send."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest

from api import worker
from api.db import db
from api.models import AuditEvent, Instance, OutboxMessage
from api.outbox import PENDING
from api.services.versions import runtime
from tests.api.conftest import start_report


def break_state(app, instance_id: int) -> None:
    with app.app_context():
        instance = db.session.get(Instance, instance_id)
        instance.state = '{"not": "a workflow"}'
        db.session.commit()


def failures(instance_id: int) -> list[dict]:
    return [e.detail for e in db.session.execute(
        db.select(AuditEvent).filter_by(instance_id=instance_id, kind="timer_failed").order_by(AuditEvent.id)
    ).scalars()]


def test_given_a_timer_whose_firing_raises_it_is_retried_later_with_a_doubling_delay_and_shown_to_admins(
        app, client, users, clock):
    started = start_report(client, users)
    break_state(app, started["id"])
    clock.advance(days=9)  # past the fixture's 25 March deadline
    with app.app_context():
        assert worker.run_once(lookahead=0).timers_fired == 0
        [first] = failures(started["id"])
        assert first["message"].startswith("StateError")
        assert db.session.get(Instance, started["id"]).next_timer_at == clock.now() + timedelta(seconds=60)
        assert worker.seconds_until_next(max_sleep=5) == 5  # not due again this minute: the worker sleeps

        assert worker.run_once(lookahead=0).timers_fired == 0
        assert len(failures(started["id"])) == 1  # not tried again before its moment

        clock.advance(seconds=61)
        worker.run_once(lookahead=0)
        assert len(failures(started["id"])) == 2
        assert db.session.get(Instance, started["id"]).next_timer_at == clock.now() + timedelta(seconds=120)

        assert [f["message"] for f in failures(started["id"])] == [first["message"]] * 2


def test_given_a_broken_instance_the_others_due_with_it_still_fire(app, client, users, clock):
    broken, healthy = start_report(client, users), start_report(client, users)
    break_state(app, broken["id"])
    clock.advance(days=9)
    with app.app_context():
        assert worker.run_once(lookahead=0).timers_fired == 1
        fired = db.session.execute(db.select(AuditEvent.instance_id).filter_by(kind="timer_fired")).scalars().all()
        assert fired == [healthy["id"]]


def test_given_smtp_only_a_message_for_a_phone_does_not_wake_the_worker(app, client, users, clock):
    """An SMS waits for an SMS sender to be configured; it must not make the worker poll every 50 ms."""
    started = start_report(client, users)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    with app.app_context():
        db.session.add(OutboxMessage(instance_id=started["id"], name="balasan", payload={"isi": "x"}, channel="sms",
                                     recipient="0812", status=PENDING, attempts=0,
                                     next_attempt_at=clock.now() - timedelta(minutes=5), created_at=clock.now()))
        db.session.commit()
        assert worker.run_once(lookahead=0).messages_tried == 0
        assert worker.seconds_until_next(max_sleep=5) == 5


def test_given_an_unreadable_state_the_admin_still_sees_the_instance_its_trail_and_why(app, client, users, clock):
    started = start_report(client, users)
    break_state(app, started["id"])
    answer = client.get(f"/api/v1/admin/instances/{started['id']}", headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    detail = answer.get_json()
    assert detail["engine_status"] == "unreadable"
    assert detail["state_problem"].startswith("keadaan tersimpan tidak dapat dibaca")
    assert [e["kind"] for e in detail["events"]][0] == "instance_started"


def test_a_programming_error_while_firing_fails_the_test_instead_of_being_postponed(app, client, users, clock):
    """A broken state is the instance's failure (postponed, above); a TypeError is the code's: tests must see it."""
    started = start_report(client, users)
    clock.advance(days=9)
    with app.app_context():
        engine = runtime().engine
        with mock.patch.object(engine, "fire_timers", side_effect=TypeError("a bug")), \
                pytest.raises(TypeError, match="a bug"):
            worker.run_once(lookahead=0)
        db.session.rollback()
        assert failures(started["id"]) == []  # raised, not recorded as the instance's failure


def test_in_production_a_programming_error_while_firing_is_logged_and_postponed_like_any_failure(
        app, client, users, clock, caplog):
    started = start_report(client, users)
    clock.advance(days=9)
    app.config["ALUR_RAISE_UNEXPECTED"] = False
    with app.app_context():
        engine = runtime().engine
        with mock.patch.object(engine, "fire_timers", side_effect=TypeError("a bug")):
            assert worker.run_once(lookahead=0).timers_fired == 0
        [failure] = failures(started["id"])
        assert failure["message"] == "TypeError: a bug"
        assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)  # logged with its traceback
