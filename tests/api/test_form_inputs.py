"""What the API accepts in a form's data: numbers that are numbers, dates within the form's bounds."""

from __future__ import annotations

import json

import pytest

from api.db import db
from api.models import Instance
from tests.api.procedures import REAL_PROJECT
from tests.procedures.test_musrenbang import USULAN
from tests.procedures.test_pengaduan import PENGADUAN

RT = "33.13.05.2001/RW02/RT001"
START_URL = "/api/v1/processes/musrenbang/instances"


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def rt(users):
    return users.add("rt_001", ("Ketua RT", RT))


def strict_json(text: str) -> object:
    """Parse as any JSON reader outside Python would: the bare words NaN and Infinity are errors."""
    def refuse(word: str) -> None:
        raise ValueError(f"not JSON: {word}")

    return json.loads(text, parse_constant=refuse)


def count_instances(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar_one()


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_given_a_start_body_with_a_non_finite_number_then_it_is_a_422_naming_the_field_and_nothing_is_stored(
        app, client, users, rt, word):
    body = json.dumps({"data": {**USULAN, "perkiraan_biaya": 1}}).replace('"perkiraan_biaya": 1', f'"perkiraan_biaya": {word}')

    answer = client.post(START_URL, data=body, content_type="application/json", headers=users.headers(rt))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [
        {"field": "data.perkiraan_biaya", "message": "harus berupa angka yang sah (NaN dan Infinity tidak diterima)"}]
    assert count_instances(app) == 0


def test_given_the_word_nan_inside_a_text_then_the_body_is_accepted(app, client, users, rt):
    data = {**USULAN, "judul": "Perbaikan jalan NaN Infinity"}

    answer = client.post(START_URL, data=json.dumps({"data": data}), content_type="application/json",
                         headers=users.headers(rt))

    assert answer.status_code == 201, answer.get_json()


def test_given_a_case_whose_stored_data_holds_nan_when_an_admin_reads_it_then_the_answer_is_strict_json(
        app, client, users, rt):
    started = client.post(START_URL, json={"data": USULAN}, headers=users.headers(rt)).get_json()
    with app.app_context():
        instance = db.session.get(Instance, started["id"])
        assert '"perkiraan_biaya": 150000000' in instance.state  # as stored before forms refused NaN
        instance.state = instance.state.replace('"perkiraan_biaya": 150000000', '"perkiraan_biaya": NaN')
        db.session.commit()

    answer = client.get(f"/api/v1/admin/instances/{started['id']}", headers=users.headers("admin"))

    assert answer.status_code == 200
    body = strict_json(answer.get_data(as_text=True))
    assert body["data"]["perkiraan_biaya"] is None
    assert body["data"]["judul"] == USULAN["judul"]


# -- dates within their bounds (x-alur-not-before / -not-after); the clock is 17 March 2026, 09:00 WIB --------


@pytest.mark.parametrize(("received", "words"), [
    ("2026-04-02T09:00:00+07:00", "tidak boleh setelah saat ini (17 Maret 2026 09:00 WIB)"),  # 16 days ahead
    ("2030-01-01T09:00:00+07:00", "tidak boleh setelah saat ini (17 Maret 2026 09:00 WIB)"),
    ("1900-01-01T09:00:00+07:00", "tidak boleh sebelum 30 hari yang lalu (15 Februari 2026 09:00 WIB)"),
])
def test_given_a_complaint_received_at_an_impossible_moment_then_its_start_is_a_422_naming_the_field(
        app, client, users, received, words):
    users.add("tim", ("Tim Pengaduan", "33.13"))
    data = {**{k: v for k, v in PENGADUAN.items() if k != "kode_lacak"}, "diterima_pada": received}

    answer = client.post("/api/v1/processes/pengaduan/instances", json={"data": data}, headers=users.headers("tim"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "diterima_pada", "message": words}]
    assert count_instances(app) == 0


def test_given_an_rw_meeting_before_the_rt_meeting_then_the_rw_step_is_a_422_and_the_task_still_waits(
        app, client, users, rt):
    users.add("rw_02", ("Ketua RW", "33.13.05.2001/RW02"))
    started = client.post(START_URL, json={"data": USULAN}, headers=users.headers(rt)).get_json()
    [task] = client.get("/api/v1/tasks", headers=users.headers("rw_02")).get_json()["items"]
    decision = {"keputusan_rw": "terima", "nomor_berita_acara_rw": "BA/RW02/I/2026", "tanggal_musyawarah_rw": "2026-01-13"}

    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": decision}, headers=users.headers("rw_02"))

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "tanggal_musyawarah_rw", "message":
                                            "tidak boleh sebelum tanggal musyawarah RT (14 Januari 2026)"}]
    [still] = client.get("/api/v1/tasks", headers=users.headers("rw_02")).get_json()["items"]
    assert still["id"] == task["id"] and still["instance_id"] == started["id"]
