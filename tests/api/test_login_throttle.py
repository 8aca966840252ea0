"""Guessing passwords: failed logins slow further attempts per account and per address, never for good."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import PASSWORD

WRONG = {"username": "petugas", "password": "bukan-ini"}
RIGHT = {"username": "petugas", "password": PASSWORD}


def attempt(client, body, address="10.0.0.1"):
    return client.post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": address})


def test_given_25_wrong_passwords_then_the_right_one_must_wait_with_429_and_retry_after(client, users):
    answers = [attempt(client, WRONG).status_code for _ in range(25)]

    right = attempt(client, RIGHT)

    assert answers[:5] == [401] * 5, "the first failures cost nothing"
    assert 429 in answers, "then the account must wait"
    assert right.status_code == 429
    body = right.get_json()
    assert body["code"] == "too_many_attempts"
    assert body["message"] == f"terlalu banyak percobaan masuk yang gagal; coba lagi dalam {right.headers['Retry-After']} detik"
    assert 1 <= int(right.headers["Retry-After"]) <= 900


def test_the_wait_doubles_with_each_failure_after_the_free_ones(client, users, clock):
    for _ in range(5):
        assert attempt(client, WRONG).status_code == 401
    first = attempt(client, WRONG)
    assert first.status_code == 429 and first.headers["Retry-After"] == "30"
    clock.advance(seconds=30)
    assert attempt(client, WRONG).status_code == 401, "after the wait, one more guess"

    assert attempt(client, WRONG).headers["Retry-After"] == "60"


def test_given_the_wait_has_passed_then_the_owner_logs_in_and_the_count_starts_again(client, users, clock):
    for _ in range(25):
        attempt(client, WRONG)
    wait = int(attempt(client, RIGHT).headers["Retry-After"])

    clock.advance(seconds=wait)
    assert attempt(client, RIGHT).status_code == 200
    assert [attempt(client, WRONG).status_code for _ in range(5)] == [401] * 5, "the success cleared the account"


def test_a_lockout_never_outlasts_the_window_after_the_attacks_stop(client, users, clock):
    for _ in range(40):
        attempt(client, WRONG)
        clock.advance(seconds=10)  # an attacker trying every 10 s keeps meeting the growing wait
    assert attempt(client, RIGHT).status_code == 429

    clock.advance(seconds=900)

    assert attempt(client, RIGHT).status_code == 200


def test_one_address_guessing_many_accounts_is_slowed_too(client, users):
    codes = [attempt(client, {"username": f"tebakan{i}", "password": "x"}, "10.9.9.9").status_code for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    other = attempt(client, {"username": "tebakan99", "password": "x"}, "10.1.1.1")
    assert other.status_code == 401, "another address is not slowed by this one"


@pytest.mark.parametrize("username", ["petugas", "PETUGAS "])
def test_the_web_login_page_answers_429_with_retry_after_in_indonesian(client, users, username):
    page = client.get("/masuk")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    for _ in range(5):
        attempt(client, WRONG)

    answer = client.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})

    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "30"
    assert "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam 30 detik." in answer.get_data(as_text=True)
