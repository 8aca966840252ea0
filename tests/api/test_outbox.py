"""Replies to reporters: written with the state, delivered by SMTP, retried on failure, never lost."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from api import outbox, worker
from tests.api.conftest import only_task, start_report


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def verify(client, users) -> None:
    task = only_task(client, users, "petugas", "verifikasi")
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"catatan": "Laporan kami terima"}},
                headers=users.headers("petugas"))


def test_the_reply_is_emailed_by_the_worker(app, client, users, smtp):
    controller, received = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    started = start_report(client, users)
    verify(client, users)

    with app.app_context():
        assert worker.run_once().messages_tried == 1
        assert worker.run_once().messages_tried == 0  # sent once

    [mail] = received.messages
    assert mail.rcpt_tos == ["siti@example.org"]
    text = mail.content.decode()
    assert "Laporan kami terima" in text and started["tracking_code"] in text
    tracked = client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()
    assert tracked["messages"][0]["delivered"] is True


def test_without_smtp_the_message_waits_in_the_outbox(app, client, users):
    start_report(client, users)
    verify(client, users)

    with app.app_context():
        assert worker.run_once().messages_tried == 0
    rows = client.get("/api/v1/admin/outbox", headers=users.headers("admin")).get_json()["items"]
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)]


def test_a_reporter_without_address_gets_the_reply_on_the_tracking_page_only(app, client, users):
    started = start_report(client, users, {"judul": "Tanpa alamat", "isi": "x", "wilayah": "33.13"})
    verify(client, users)

    rows = client.get("/api/v1/admin/outbox", headers=users.headers("admin")).get_json()["items"]
    assert [(r["channel"], r["status"]) for r in rows] == [("none", "no_recipient")]
    tracked = client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()
    assert tracked["messages"][0]["isi"] == "Laporan kami terima"


def test_failed_deliveries_are_retried_with_backoff_then_shown_to_admins(app, client, users, clock, smtp):
    controller, received = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), ALUR_OUTBOX_MAX_ATTEMPTS=3)  # nobody listens
    start_report(client, users)
    verify(client, users)

    with app.app_context():
        assert worker.run_once().messages_tried == 1
        assert worker.run_once().messages_tried == 0  # waits one minute before trying again
        clock.advance(minutes=1)
        assert worker.run_once().messages_tried == 1
        clock.advance(minutes=2)
        assert worker.run_once().messages_tried == 1
        clock.advance(hours=2)
        assert worker.run_once().messages_tried == 0  # gave up: failed

    [row] = client.get("/api/v1/admin/outbox", query_string={"status": "failed"},
                       headers=users.headers("admin")).get_json()["items"]
    assert row["attempts"] == 3 and "ConnectionRefusedError" in row["last_error"]

    app.config.update(SMTP_PORT=controller.port)
    assert client.post(f"/api/v1/admin/outbox/{row['id']}/retry", headers=users.headers("admin")).status_code == 200
    with app.app_context():
        assert worker.run_once().messages_tried == 1
    assert len(received.messages) == 1


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 12)] == [1, 2, 4, 60, 60]
