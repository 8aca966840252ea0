"""The public JSON submission is the website channel: the system answers the channel and the moment
received, whatever the client sends, so nobody outside can pose as a walk-in or backdate a deadline."""

from __future__ import annotations

import pytest

from tests.api.procedures import REAL_PROJECT
from tests.procedures.test_pengaduan import PENGADUAN

URL = "/api/v1/public/processes/pengaduan/instances"
# What a member of the public fills in; no channel and no moment received.
FILLED = {k: v for k, v in PENGADUAN.items() if k not in ("kode_lacak", "kanal", "diterima_pada")}


@pytest.fixture
def project():
    return REAL_PROJECT


def stored_data(client, users, code: str) -> dict:
    [found] = client.get("/api/v1/admin/instances", query_string={"q": code},
                         headers=users.headers("admin")).get_json()["items"]
    return client.get(f"/api/v1/admin/instances/{found['id']}", headers=users.headers("admin")).get_json()["data"]


def test_given_a_client_posing_as_a_walk_in_with_a_backdated_receipt_then_the_system_answers_both(client, users):
    answer = client.post(URL, json={"data": {**FILLED, "kanal": "langsung",
                                             "diterima_pada": "2026-03-10T09:00:00+07:00"}})

    assert answer.status_code == 201, answer.get_json()
    data = stored_data(client, users, answer.get_json()["tracking_code"])
    assert data["kanal"] == "website"
    assert data["diterima_pada"] == "2026-03-17T09:00:00+07:00"  # the moment it really arrived (the test clock)
    # One working day from the real arrival (Tuesday 17 March, 09:00 WIB) across Nyepi and Idul Fitri,
    # not from the 10th.
    assert data["batas_respon_awal"] == "2026-03-25T16:00:00+07:00"


def test_given_the_public_fills_only_its_own_fields_then_the_submission_is_accepted(client, users):
    answer = client.post(URL, json={"data": FILLED})

    assert answer.status_code == 201, answer.get_json()
    data = stored_data(client, users, answer.get_json()["tracking_code"])
    assert data["kanal"] == "website"
    assert data["batas_respon_awal"] == "2026-03-25T16:00:00+07:00"


def test_given_a_bad_field_then_the_refusal_names_it_and_not_the_fields_the_system_answers(client):
    answer = client.post(URL, json={"data": {**FILLED, "kanal": "merpati", "diterima_pada": "kemarin",
                                             "isi": "pendek"}})

    assert answer.status_code == 422
    assert {f["field"] for f in answer.get_json()["fields"]} == {"isi"}
