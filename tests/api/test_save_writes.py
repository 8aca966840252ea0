"""What a save writes beside the state: message waits and pending rows go straight to the connection,
and stay right when the same instance is saved twice in one transaction."""

from __future__ import annotations

import pytest

from api.db import db
from api.models import Instance, PendingTask, User, WaitingMessageRow
from api.services import messages
from api.services.instances import sync_tasks
from engine import WaitingMessage
from tests.api.conftest import only_task, start_report

WAIT = WaitingMessage(task_id="t1", element="tunggu_balasan", title="Menunggu balasan", name="balasan",
                      correlation_field="kode_lacak", correlation="ABC123", fields={})
OTHER_WAIT = WaitingMessage(task_id="t2", element="tunggu_keputusan", title="Menunggu keputusan", name="keputusan",
                            correlation_field="kode_lacak", correlation="ABC123", fields={})


def wait_rows(instance_id: int) -> list[str]:
    return list(db.session.execute(
        db.select(WaitingMessageRow.element).filter_by(instance_id=instance_id)).scalars())


def test_given_an_instance_waiting_for_a_message_when_a_save_waits_for_none_then_its_row_is_gone(app, client, users):
    started = start_report(client, users)
    with app.app_context():
        instance = db.session.get_one(Instance, started["id"])
        messages.sync_waits(instance, [WAIT])
        db.session.commit()
        assert wait_rows(instance.id) == ["tunggu_balasan"]

        messages.sync_waits(instance, [])
        db.session.commit()
        assert wait_rows(instance.id) == []


@pytest.mark.parametrize(("last", "left"), [([], []), ([WAIT], ["tunggu_balasan"])])
def test_given_wait_rows_not_yet_flushed_when_the_same_instance_is_saved_again_then_the_last_save_wins(
        app, client, users, last, left):
    started = start_report(client, users)
    with app.app_context():
        instance = db.session.get_one(Instance, started["id"])
        messages.sync_waits(instance, [WAIT])
        db.session.commit()
        with db.session.no_autoflush:  # a message chain that comes back to the instance it started from
            messages.sync_waits(instance, [OTHER_WAIT])  # deletes WAIT's row, adds another, nothing flushed
            messages.sync_waits(instance, last)
        db.session.commit()
        assert wait_rows(instance.id) == left


def test_given_a_suspended_instance_when_its_tasks_come_back_then_a_change_to_a_returned_row_is_stored(
        app, client, users):
    started = start_report(client, users)
    task = only_task(client, users, "petugas", "verifikasi")
    with app.app_context():
        instance = db.session.get_one(Instance, started["id"])
        view = app.extensions["alur"].engine.inspect(app.extensions["alur"].by_row(instance.version_id).version,
                                                     instance.state)
        sync_tasks(instance, [])
        db.session.commit()
        [row] = sync_tasks(instance, view.tasks)  # inserted at once, and still the session's to change
        petugas = db.session.execute(db.select(User.id).filter_by(username="petugas")).scalar_one()
        row.claimed_by_id = petugas
        db.session.commit()
        db.session.expunge_all()
        assert db.session.get_one(PendingTask, task["id"]).claimed_by_id == petugas


def test_given_a_browser_cookie_when_a_script_calls_with_a_bearer_token_then_the_cookie_is_left_alone(
        client, users):
    headers = users.headers("petugas")  # logging in gave this client a session cookie too
    assert client.get_cookie("session") is not None
    answer = client.get("/api/v1/auth/me", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["username"] == "petugas"
    assert "Set-Cookie" not in answer.headers
    assert client.get("/api/v1/auth/me").get_json()["username"] == "petugas"  # the cookie alone still signs in
