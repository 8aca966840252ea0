"""Logging in: bearer tokens for scripts, a session cookie for the web, both revocable."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.db import db
from api.models import User
from tests.api.conftest import PASSWORD, Users, make_app


def test_login_gives_a_token_and_the_users_roles(client, users):
    answer = client.post("/api/v1/auth/login", json={"username": "rw02", "password": PASSWORD})

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["token"] and body["user"]["username"] == "rw02"
    assert body["user"]["roles"] == [{"role": "Ketua RW Uji", "region_prefix": "33.13.05.2001/RW02"}]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["username"] == "rw02"


def test_a_wrong_password_or_unknown_user_is_refused_alike(client, users):
    wrong = client.post("/api/v1/auth/login", json={"username": "rw02", "password": "salah"})
    unknown = client.post("/api/v1/auth/login", json={"username": "siapa", "password": "salah"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {
        "code": "invalid_credentials", "message": "nama pengguna atau kata sandi salah"}


def test_missing_login_fields_are_named(client):
    answer = client.post("/api/v1/auth/login", json={"username": "x"})

    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "password", "message": "wajib diisi"}]


def test_passwords_are_stored_hashed_with_scrypt(app, users):
    with app.app_context():
        stored = db.session.execute(db.select(User.password_hash).filter_by(username="rw02")).scalar()
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_the_session_cookie_works_for_the_web(client, users):
    client.post("/api/v1/auth/login", json={"username": "petugas", "password": PASSWORD})

    assert client.get("/api/v1/auth/me").get_json()["username"] == "petugas"


def test_a_cookie_session_must_send_json_to_change_anything(client, users):
    """A cross-site HTML form cannot send JSON, so cookie sessions are safe from forged posts."""
    client.post("/api/v1/auth/login", json={"username": "petugas", "password": PASSWORD})

    forged = client.post("/api/v1/auth/logout", data={"x": "1"})

    assert forged.status_code == 415
    assert client.get("/api/v1/auth/me").status_code == 200


def test_logout_revokes_the_token(client, users):
    headers = users.headers("petugas")
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200

    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_user_revokes_one_of_their_tokens(client, users):
    first = users.headers("petugas")
    second = client.post("/api/v1/auth/login", json={"username": "petugas", "password": PASSWORD, "label": "skrip"})
    token_id = second.get_json()["token_id"]

    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=first).status_code == 200

    bearer = {"Authorization": f"Bearer {second.get_json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert client.get("/api/v1/auth/me", headers=first).status_code == 200
    other = users.headers("analis")
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=other).status_code == 404


def test_everything_but_public_needs_a_login(client):
    for path in ("/api/v1/processes", "/api/v1/tasks", "/api/v1/admin/instances"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.get_json()["code"] == "unauthorized"


# -- logins expire ---------------------------------------------------------------------------------------------


def login(client, username: str = "petugas"):
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_given_the_default_lifetime_then_login_says_when_the_token_expires(app, client, users):
    app.config["ALUR_TOKEN_TTL_HOURS"] = 12

    body = login(client)

    assert body["expires_at"] == "2026-03-17T14:00:00+00:00"  # 09:00 WIB + 12 hours, in UTC
    bearer = {"Authorization": f"Bearer {body['token']}"}
    [listed] = client.get("/api/v1/auth/tokens", headers=bearer).get_json()["items"]
    assert listed["expires_at"] == body["expires_at"]


def test_given_a_token_past_its_lifetime_then_it_is_401_token_expired(app, client, users, clock):
    app.config["ALUR_TOKEN_TTL_HOURS"] = 12
    bearer = {"Authorization": f"Bearer {login(client)['token']}"}
    clock.advance(hours=11, minutes=59)
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200

    clock.advance(minutes=1)
    answer = client.get("/api/v1/auth/me", headers=bearer)

    assert answer.status_code == 401
    assert answer.get_json() == {"code": "token_expired",
                                 "message": "masa berlaku token atau sesi telah habis; silakan masuk lagi"}
    assert client.get("/api/v1/tasks", headers=bearer).get_json()["code"] == "token_expired"


def test_given_a_session_past_its_lifetime_then_the_cookie_no_longer_logs_in(app, client, users, clock):
    app.config["ALUR_TOKEN_TTL_HOURS"] = 1
    login(client)
    assert client.get("/api/v1/auth/me").status_code == 200

    clock.advance(hours=1)

    assert client.get("/api/v1/auth/me").get_json()["code"] == "token_expired"
    login(client)  # a new login is a new lifetime
    assert client.get("/api/v1/auth/me").status_code == 200


# -- settings: the secret key, HTTPS, token lifetime ----------------------------------------------------------------------------------


@pytest.fixture
def instance_folder(monkeypatch, tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    monkeypatch.setenv("ALUR_DATA_DIR", str(folder))
    monkeypatch.delenv("ALUR_SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


def test_given_no_secret_key_setting_then_one_random_key_is_made_once_and_kept_private(instance_folder):
    from api.config import load_config

    first = load_config()["SECRET_KEY"]
    restarted = load_config()["SECRET_KEY"]

    key_file = instance_folder / "secret_key"
    assert first == restarted == key_file.read_text().strip()
    assert len(first) == 64 and first != "alur-demo-secret-change-me"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in instance_folder.iterdir() if p.name.startswith(".secret_key")] == []  # no drafts left


def test_given_workers_starting_together_then_they_all_read_the_same_key(instance_folder):
    from api.config import stored_secret_key

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: stored_secret_key(instance_folder), range(16)))

    assert keys == {(instance_folder / "secret_key").read_text().strip()}


def test_given_the_lifetime_setting_then_it_is_read_in_hours_with_12_by_default(instance_folder, monkeypatch):
    from api.config import load_config

    monkeypatch.setenv("ALUR_TOKEN_TTL_HOURS", "0.5")
    assert load_config({"SECRET_KEY": "x"})["ALUR_TOKEN_TTL_HOURS"] == 0.5
    monkeypatch.delenv("ALUR_TOKEN_TTL_HOURS")
    assert load_config({"SECRET_KEY": "x"})["ALUR_TOKEN_TTL_HOURS"] == 12


def test_given_a_secret_key_setting_then_it_is_used_and_no_file_is_written(instance_folder, monkeypatch):
    from api.config import load_config

    monkeypatch.setenv("ALUR_SECRET_KEY", "kunci-dari-lingkungan-yang-cukup-panjang")

    assert load_config()["SECRET_KEY"] == "kunci-dari-lingkungan-yang-cukup-panjang"
    assert not (instance_folder / "secret_key").exists()


def test_given_secure_cookies_then_the_session_cookie_is_https_only_and_hsts_is_sent(database, project, clock, app):
    secure = make_app(database, *project, ALUR_SECURE_COOKIES=True)
    with secure.app_context():
        users = Users(secure, secure.test_client())
        users.add("petugas", ("Petugas Uji", "33.13"))
    browser = secure.test_client()

    answer = browser.post("/api/v1/auth/login", json={"username": "petugas", "password": PASSWORD})

    assert "Secure" in answer.headers["Set-Cookie"] and "HttpOnly" in answer.headers["Set-Cookie"]
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert browser.get("/publik").headers["Strict-Transport-Security"] == "max-age=31536000"
    with secure.app_context():
        db.session.remove()
        db.engine.dispose()


def test_given_no_secure_cookies_setting_then_plain_http_works_without_hsts(client, users):
    answer = client.post("/api/v1/auth/login", json={"username": "petugas", "password": PASSWORD})

    assert "Secure" not in answer.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in answer.headers
