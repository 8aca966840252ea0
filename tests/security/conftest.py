"""Fixtures for the security specifications: the API test fixtures (fixture diagrams, users, clock) plus
one user per kind of caller, fresh instances to aim at, and browser-like web sessions with their CSRF token.

Runs on SQLite by default and on PostgreSQL with ALUR_TEST_DATABASE_URL, like tests/api.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func

from api.db import db
from engine import FixedClock
from tests.api import conftest as api_fixtures
from tests.api.conftest import PASSWORD, REPORT, RT001, Users, make_app

# The API tests' fixtures, used as they are.
migrated, migrated_with_users, database, project, clock, client, users = (
    api_fixtures.migrated, api_fixtures.migrated_with_users, api_fixtures.database, api_fixtures.project,
    api_fixtures.clock, api_fixtures.client, api_fixtures.users)

_current: list[Flask] = []  # the test's app, for count_rows()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Who calls, by kind. The task aimed at is "Verifikasi RW" (lane Ketua RW Uji) in RT001 of RW02.
ROLES = {
    "anonim": None,
    "lane_in_region": "rw02",  # Ketua RW Uji for 33.13.05.2001/RW02: the task's lane, inside its region
    "lane_parent_region": "rw_kec",  # Ketua RW Uji for the whole kecamatan 33.13.05: a prefix of the task's region
    "lane_out_region": "rw01",  # the same role for RW01: outside the task's region
    "starter": "rt1",  # Ketua RT Uji for RT001: may start the proposal process there, not act at RW level
    "other_role": "orang_lain",  # a role no diagram knows, granted everywhere
    "viewer": "pemantau",  # Pemantau (report viewer), everywhere
    "analyst": "analis_proses",  # Analis Proses, everywhere
    "admin": "admin",  # Admin, everywhere
}


@pytest.fixture
def app(database: str, project: tuple[Path, Path], clock: FixedClock) -> Iterator[Flask]:
    """The API tests' app, with a public rate limit that the tables here do not reach (one test lowers it)."""
    app = make_app(database, *project, ALUR_PUBLIC_LIMIT=10_000)
    _current[:] = [app]
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def people(users: Users) -> Users:
    """The API test users plus a process analyst, all logged in already (so counting rows later sees only
    what a request under test stored, not a login or the first request's sync of the diagrams)."""
    users.add("analis_proses", ("Analis Proses", ""))
    users.add("rw_kec", ("Ketua RW Uji", "33.13.05"))
    for username in ("rt1", "rt2", "rw02", "rw_kec", "rw01", "kec05", "orang_lain", "pemantau", "analis_proses", "admin", "kepala"):
        users.headers(username)
    return users


@dataclass
class Target:
    """A fresh proposal waiting at its RW step."""

    instance_id: int
    task_id: str
    tracking_code: str


def new_proposal(client: FlaskClient, users: Users, title: str = "Perbaikan saluran air") -> Target:
    answer = client.post("/api/v1/processes/uji_usulan/instances", json={"data": {"judul": title, "wilayah": RT001}},
                         headers=users.headers("rt1"))
    assert answer.status_code == 201, answer.get_json()
    instance = answer.get_json()
    found, page = [], 1
    while not found:  # the session's proposals pile up in rw02's inbox: look through every page
        tasks = client.get("/api/v1/tasks", query_string={"process": "uji_usulan", "per_page": 200, "page": page},
                           headers=users.headers("rw02")).get_json()["items"]
        assert tasks, f"the new proposal's RW task is on no page of rw02's inbox (up to page {page})"
        found, page = [t for t in tasks if t["instance_id"] == instance["id"]], page + 1
    [task] = found
    return Target(instance["id"], task["id"], instance["tracking_code"])


def new_report(client: FlaskClient, data: dict | None = None) -> str:
    """A public report through the API; its tracking code."""
    answer = client.post("/api/v1/public/processes/uji_lapor/instances", json={"data": data or REPORT})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["tracking_code"]


def count_rows() -> dict[str, int]:
    """Rows per table, to prove a refused request stored nothing (rate-limit hits aside)."""
    from flask import current_app

    app = current_app._get_current_object() if has_app_context() else _current[0]
    with app.app_context(), db.engine.connect() as conn:
        return {t.name: conn.execute(db.select(func.count()).select_from(t)).scalar_one()
                for t in db.metadata.sorted_tables if t.name != "rate_hits"}


def web_session(app: Flask, username: str | None) -> tuple[FlaskClient, str]:
    """A browser-like client (logged in unless `username` is None) and its CSRF token."""
    browser = app.test_client()
    page = browser.get("/masuk")
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    if username is not None:
        answer = browser.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        token = CSRF.search(browser.get("/masuk").get_data(as_text=True)).group(1)
    return browser, token
