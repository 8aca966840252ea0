"""A start retried with the same Idempotency-Key (its answer was lost after the commit) creates no second case."""

from __future__ import annotations

import threading

from api.db import db
from api.models import Instance
from tests.api.conftest import REPORT

STAFF = "/api/v1/processes/uji_lapor/instances"
PUBLIC = "/api/v1/public/processes/uji_lapor/instances"


def cases() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar()


def test_given_the_same_key_and_body_then_the_retry_gets_the_same_case_back(app, client, users):
    headers = {**users.headers("petugas"), "Idempotency-Key": "3f1c2a8e-lapor-1"}
    first = client.post(STAFF, json={"data": REPORT}, headers=headers)
    retry = client.post(STAFF, json={"data": REPORT}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    with app.app_context():
        assert cases() == 1


def test_given_the_same_key_with_another_body_then_it_is_422_and_nothing_is_created(app, client, users):
    headers = {**users.headers("petugas"), "Idempotency-Key": "kunci-2"}
    assert client.post(STAFF, json={"data": REPORT}, headers=headers).status_code == 201

    other = client.post(STAFF, json={"data": {**REPORT, "judul": "Laporan lain"}}, headers=headers)

    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key ini sudah dipakai" in other.get_json()["message"]
    with app.app_context():
        assert cases() == 1


def test_a_key_belongs_to_its_caller_and_without_a_key_every_start_is_new(app, client, users):
    key = {"Idempotency-Key": "sama"}
    a = client.post(STAFF, json={"data": REPORT}, headers={**users.headers("petugas"), **key}).get_json()
    b = client.post(STAFF, json={"data": REPORT}, headers={**users.headers("kepala"), **key})
    assert b.status_code in (201, 403)  # another user's key space: never petugas's case
    assert b.get_json().get("tracking_code") != a["tracking_code"]
    c = client.post(STAFF, json={"data": REPORT}, headers=users.headers("petugas")).get_json()
    assert c["tracking_code"] != a["tracking_code"]


def test_a_malformed_key_is_named(client, users):
    answer = client.post(STAFF, json={"data": REPORT}, headers={**users.headers("petugas"), "Idempotency-Key": "a b"})
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "Idempotency-Key",
                                            "message": "1-200 karakter ASCII yang terlihat, tanpa spasi"}]


def test_a_public_submission_retried_keeps_its_tracking_code_and_spends_no_rate_limit(app, client):
    app.config["ALUR_PUBLIC_LIMIT"] = 1
    headers = {"Idempotency-Key": "warga-7f3a"}
    first = client.post(PUBLIC, json={"data": REPORT}, headers=headers)
    retry = client.post(PUBLIC, json={"data": REPORT}, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    with app.app_context():
        assert cases() == 1


def test_given_a_key_older_than_the_retention_then_it_counts_as_new(app, client, users, clock):
    headers = {**users.headers("petugas"), "Idempotency-Key": "lama"}
    first = client.post(STAFF, json={"data": REPORT}, headers=headers).get_json()
    clock.advance(hours=25)

    again = client.post(STAFF, json={"data": {**REPORT, "judul": "Laporan baru"}},
                        headers={**users.headers("petugas"), "Idempotency-Key": "lama"})

    assert again.status_code == 201, again.get_json()
    assert again.get_json()["tracking_code"] != first["tracking_code"]


def test_two_requests_with_one_key_at_the_same_moment_create_one_case(app, users):
    headers = {**users.headers("petugas"), "Idempotency-Key": "serentak"}
    barrier, answers = threading.Barrier(2), []

    def send() -> None:
        barrier.wait()
        answers.append(app.test_client().post(STAFF, json={"data": REPORT}, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert answers[0].get_json()["tracking_code"] == answers[1].get_json()["tracking_code"]
    with app.app_context():
        assert cases() == 1
