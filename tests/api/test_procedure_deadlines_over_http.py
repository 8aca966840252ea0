"""Pengaduan's deadline over HTTP, with the worker and a real mail server: a complaint from the website
that the desk does not answer within one working day reaches the Kepala Baperlitbang's inbox, and the late
initial response still goes to the reporter by e-mail and shows on the public tracking page.

Received Tuesday 17 March 2026; 18-24 March are Nyepi, Idul Fitri and their cuti bersama, so one working
day ends Wednesday 25 March at 16:00 WIB.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from api import worker
from tests.api.conftest import WIB
from tests.api.procedures import REAL_PROJECT, do
from tests.api.test_outbox import smtp  # noqa: F401 - the real SMTP server fixture (aiosmtpd on 127.0.0.1)
from tests.procedures.test_pengaduan import KLASIFIKASI, PENGADUAN, RESPON_AWAL

REPORTER = PENGADUAN["email"]
FILLED = {k: v for k, v in PENGADUAN.items() if k not in ("kode_lacak", "kanal", "diterima_pada")}
HEAD = "Kepala Baperlitbang"


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def staff(users):
    users.add("tim", ("Tim Pengaduan", "33.13"))
    users.add("kepala_baperlitbang", (HEAD, "33.13"))
    return users


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


def tasks_of(client, users, who: str) -> list[dict]:
    answer = client.get("/api/v1/tasks", query_string={"per_page": 200}, headers=users.headers(who))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def worker_round(app, clock, moment: datetime) -> worker.RoundResult:
    clock.set(moment)
    with app.app_context():
        return worker.run_once()


def test_given_no_initial_response_within_one_working_day_then_the_head_is_asked_and_the_late_reply_still_arrives(
        app, client, staff, clock, smtp):  # noqa: F811 - the fixture imported above
    controller, mailbox = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    submitted = client.post("/api/v1/public/processes/pengaduan/instances", json={"data": FILLED})
    assert submitted.status_code == 201, submitted.get_json()
    code = submitted.get_json()["tracking_code"]
    do(client, staff, "tim", "klasifikasi", KLASIFIKASI, clock, wib(17, 10))

    # The day after (a naive one-day deadline) is a holiday: nothing is late yet.
    worker_round(app, clock, wib(18, 16, 30))
    assert tasks_of(client, staff, "kepala_baperlitbang") == []
    worker_round(app, clock, wib(25, 15, 59))
    assert tasks_of(client, staff, "kepala_baperlitbang") == []

    fired = worker_round(app, clock, wib(25, 16, 1))

    assert fired.timers_fired >= 1
    escalations = tasks_of(client, staff, "kepala_baperlitbang")
    assert [(t["name"], t["lane"]) for t in escalations] == [("eskalasi_respon_awal", HEAD)]
    assert "respon_awal" in [t["name"] for t in tasks_of(client, staff, "tim")]  # the desk keeps the task

    do(client, staff, "tim", "respon_awal", RESPON_AWAL, clock, wib(25, 16, 30))
    delivered = worker_round(app, clock, wib(25, 16, 31))

    assert delivered.messages_tried >= 1
    [mail] = [m for m in mailbox.messages if RESPON_AWAL["isi_respon_awal"] in m.content.decode()]
    assert mail.rcpt_tos == [REPORTER] and code in mail.content.decode()
    tracked = client.get(f"/api/v1/public/track/{code}").get_json()
    [reply] = [m for m in tracked["messages"] if m["jenis"] == "respon_awal"]
    assert (reply["isi"], reply["delivered"]) == (RESPON_AWAL["isi_respon_awal"], True)
    page = client.get("/lacak", query_string={"kode": code}).get_data(as_text=True)
    assert RESPON_AWAL["isi_respon_awal"] in page
    assert REPORTER not in page and PENGADUAN["nama_pelapor"] not in page
