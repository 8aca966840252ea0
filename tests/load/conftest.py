"""A whole system per test: a fresh database (SQLite file or a new PostgreSQL database), the fixture
procedure, role users, and helpers to start gunicorn and timer workers on it.

PostgreSQL comes from ALUR_TEST_DATABASE_URL_PG; without it (or unreachable) the
PostgreSQL cases skip, unless ALUR_REQUIRE_POSTGRES is set (CI), where they fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from api.db import db
from api.models import TIMER_STATUSES, Instance
from tests.load import servers
from tests.load.project import LANE_ANALYST, LANE_DESK, LANE_HEAD, write_load_project


@dataclass
class Stack:
    """One database with the fixture procedure, and the servers started on it (all stopped at the end)."""

    backend: str
    url: str
    processes: Path
    forms: Path
    logs: Path
    users: dict[str, str]  # username -> role group ("desk", "analyst", "head")
    started: list = field(default_factory=list)
    _app: Flask | None = None

    @property
    def env(self) -> dict[str, str]:
        return servers.server_env(self.url, self.processes, self.forms)

    @property
    def app(self) -> Flask:
        """An in-test app on the same database, for reading rows and checking invariants."""
        if self._app is None:
            self._app = servers.app_for(self.url, self.processes, self.forms)
        return self._app

    def gunicorn(self, workers: int = 2) -> servers.Gunicorn:
        server = servers.Gunicorn(self.env, workers, self.logs / "gunicorn.log")
        self.started.append(server)
        return server.start()

    def worker(self) -> servers.TimerWorker:
        worker = servers.TimerWorker(self.env, self.logs / "worker.log")
        self.started.append(worker)
        return worker.start()

    def tokens(self, base_url: str) -> dict[str, str]:
        return {name: servers.login(base_url, name) for name in self.users}

    def wait_for_timers(self, seconds: float = 60) -> None:
        """Until no active instance has a timer left (each fixture timer is due within seconds of its start)."""
        deadline = time.monotonic() + seconds
        with self.app.app_context():
            while time.monotonic() < deadline:
                left = db.session.execute(db.select(db.func.count()).select_from(Instance).where(
                    Instance.next_timer_at.is_not(None), Instance.status.in_(TIMER_STATUSES))).scalar()
                db.session.rollback()
                if left == 0:
                    return
                time.sleep(0.2)
        raise TimeoutError(f"{left} instance(s) still have a timer after {seconds} s: timers stuck")

    def close(self) -> None:
        for thing in reversed(self.started):
            thing.stop()
        if self._app is not None:
            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()


def role_users(desk: int, analysts: int, heads: int) -> dict[str, list[tuple[str, str]]]:
    users = {f"petugas{i}": [(LANE_DESK, "33.13")] for i in range(desk)}
    users.update({f"analis{i}": [(LANE_ANALYST, "33.13")] for i in range(analysts)})
    users.update({f"kepala{i}": [(LANE_HEAD, "33.13")] for i in range(heads)})
    return users


def group_of(username: str) -> str:
    return {"petugas": "desk", "analis": "analyst", "kepala": "head"}[username.rstrip("0123456789")]


def postgres_or_skip() -> None:
    reason = servers.postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("ALUR_REQUIRE_POSTGRES"):
        pytest.fail(f"ALUR_REQUIRE_POSTGRES is set but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    if request.param == "postgresql":
        postgres_or_skip()
    return request.param


@pytest.fixture
def make_stack(backend: str, tmp_path: Path) -> Iterator:
    """`make_stack(desk=, analysts=, heads=)` builds a fresh system on the test's backend."""
    stacks: list[Stack] = []
    cleanups: list = []

    def make(desk: int, analysts: int, heads: int) -> Stack:
        root = tmp_path / f"stack{len(stacks)}"
        processes, forms = write_load_project(root)
        if backend == "sqlite":
            url = servers.sqlite_url(root / "alur.db")
        else:
            database = servers.fresh_postgres()
            url = database.__enter__()
            cleanups.append(database)
        users = role_users(desk, analysts, heads)
        servers.setup_database(url, processes, forms, users)
        stack = Stack(backend, url, processes, forms, root, {name: group_of(name) for name in users})
        stacks.append(stack)
        return stack

    try:
        yield make
    finally:
        for stack in stacks:
            stack.close()
        for database in cleanups:
            database.__exit__(None, None, None)
