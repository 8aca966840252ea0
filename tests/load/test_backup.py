"""A backup taken while the system runs restores to a consistent system that carries on every case.

SQLite: `alur backup PATH` (online) and `alur restore PATH`. PostgreSQL: the
README's `pg_dump` / `pg_restore` lines, run as written there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

import pytest
from sqlalchemy.engine import make_url

from api.db import db
from api.models import Instance
from tests.load import invariants, servers
from tests.load.clients import Journal, drive, finish_everything


def alur(stack_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=servers.ROOT, env=stack_env,
                          capture_output=True, text=True, timeout=300)


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(stack, path) -> None:
    if stack.backend == "sqlite":
        done = alur(stack.env, "backup", str(path))
    else:
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(path), libpq(stack.url)],
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def restore(stack, path) -> None:
    if stack.backend == "sqlite":
        done = alur(stack.env, "restore", "--yes", str(path))
    else:
        done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", libpq(stack.url),
                               str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def states(stack) -> dict[int, tuple[int, str]]:
    with stack.app.app_context():
        rows = db.session.execute(db.select(Instance.id, Instance.lock_version, Instance.state)).all()
        db.session.remove()
    return {i: (v, s) for i, v, s in rows}


def test_a_backup_taken_under_load_restores_every_instance_and_each_carries_on(make_stack, backend, tmp_path):
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    live = make_stack(desk=3, analysts=2, heads=1)
    web = live.gunicorn(workers=2)
    live.worker()
    tokens = live.tokens(web.url)
    clients = [(live.users[name], token) for name, token in tokens.items()]
    load = threading.Thread(target=drive, args=(lambda: web.url, clients),
                            kwargs={"actions": 10_000, "seconds": 6, "start_share": 0.5, "tempo": (1, 4)})
    load.start()
    try:
        load.join(timeout=3)
        backup(live, tmp_path / "online.bak")  # while clients write
    finally:
        load.join(timeout=120)
    live.wait_for_timers()
    backup(live, tmp_path / "quiet.bak")
    saved = states(live)
    assert saved, "the load started cases"

    online, quiet = make_stack(desk=0, analysts=0, heads=0), make_stack(desk=0, analysts=0, heads=0)
    for stack in (online, quiet):
        # Restore over a fresh, empty database of the same kind (PostgreSQL: a new, empty database).
        stack.close()
        if stack.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                (stack.logs / f"alur.db{suffix}").unlink(missing_ok=True)
        else:
            with stack.app.app_context():
                db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.session.commit()
                db.session.remove()
                db.engine.dispose()
    restore(online, tmp_path / "online.bak")
    restore(quiet, tmp_path / "quiet.bak")

    assert invariants.check(online.app).problems == [], "the online backup is one consistent moment"
    assert states(quiet) == saved, "every instance comes back exactly as it was"
    quiet.users = live.users
    web = quiet.gunicorn(workers=2)
    quiet.worker()
    journal = Journal()
    finish_everything(web.url, quiet.tokens(web.url), journal)
    quiet.wait_for_timers()
    report = invariants.check(quiet.app)
    assert report.problems == [] and journal.unexpected() == []
    assert report.statuses == {"complete": len(saved)}, "every restored case carried on to its end"
