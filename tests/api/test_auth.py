"""Logging in: bearer tokens for scripts, a session cookie for the web, both revocable."""

from __future__ import annotations

from api.db import db
from api.models import User
from tests.api.conftest import PASSWORD


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
