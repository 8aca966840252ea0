"""Real servers for load, crash and backup tests: databases, gunicorn, `alur worker`, all on 127.0.0.1.

Everything started here runs in its own process group and is killed by group when
its context ends, whatever happened in between, so no test leaves a server behind.
Gunicorn gets an already-bound socket (`--bind fd://N`): the port is chosen by the
kernel and never raced for. Every wait is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.db import db
from api.seed import ensure_user, grant

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "beban-rahasia"
FAST_HASH = "scrypt:1024:8:1"  # test-only cost: thousands of logins must not dominate the run


# -- databases ----------------------------------------------------------------------


def postgres_url() -> str | None:
    """The PostgreSQL the suite may use (CI exports it), or None."""
    url = os.environ.get("ALUR_TEST_DATABASE_URL_PG")
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url else None


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    url = postgres_url()
    if url is None:
        return "ALUR_TEST_DATABASE_URL_PG is not set"
    engine = create_engine(url)
    try:
        with engine.connect():
            return None
    except Exception as exc:  # any connection failure means "not here"
        return f"PostgreSQL unreachable at {make_url(url).host}: {type(exc).__name__}"
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty database on the test server (its own name, so suites never share tables); dropped after."""
    base = make_url(postgres_url() or "")
    name = f"alur_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def setup_database(url: str, processes: Path, forms: Path, users: dict[str, list[tuple[str, str]]]) -> None:
    """Migrate the schema, register the diagrams' versions and create users, as `alur run-demo` does before serving."""
    app = app_for(url, processes, forms)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        from api.services.versions import runtime

        runtime().sync()
        for username, grants in users.items():
            user = ensure_user(username, PASSWORD)
            for role, region in grants:
                grant(user, role, region)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def app_for(url: str, processes: Path, forms: Path, **overrides: Any) -> Flask:
    """An app on the same database and diagrams as the servers, for setting up and checking from the test."""
    config = {"SQLALCHEMY_DATABASE_URI": url, "ALUR_PROCESSES_DIR": processes, "ALUR_FORMS_DIR": forms,
              "ALUR_PASSWORD_METHOD": FAST_HASH, "SMTP_HOST": None}
    config.update(overrides)
    return create_app(config)


def server_env(url: str, processes: Path, forms: Path, **extra: str) -> dict[str, str]:
    # COV_CORE_* would make pytest-cov trace the servers too (CI measures coverage): they would run at half
    # speed, and the races these tests set up (a timer due while its task is open) would stop happening.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMTP_", "ALUR_", "DATABASE_URL", "COV_CORE_", "COVERAGE_"))}
    env.update({
        "DATABASE_URL": url,
        "ALUR_PROCESSES_DIR": str(processes),
        "ALUR_FORMS_DIR": str(forms),
        "ALUR_PASSWORD_METHOD": FAST_HASH,
        "ALUR_PUBLIC_LIMIT": "1000000",  # load comes from one address; the limit has its own tests
        "ALUR_WORKER_MAX_SLEEP": "0.5",
        "PYTHONPATH": str(ROOT),
    })
    env.update(extra)
    return env


# -- processes ----------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc (gunicorn's workers are the master's children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the parent pid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


class Gunicorn:
    """`gunicorn --workers N api.app:create_app()` on a kernel-chosen port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int = 2, log: Path | None = None) -> None:
        self.env, self.workers, self.log = env, workers, log
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self, timeout: float = 60) -> Gunicorn:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(256)
        port = listener.getsockname()[1]
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"fd://{listener.fileno()}",
                 "--timeout", "60", "--graceful-timeout", "5", "api.app:create_app()"],
                env=self.env, cwd=ROOT, pass_fds=[listener.fileno()], start_new_session=True,
                stdout=out, stderr=subprocess.STDOUT)
        finally:
            listener.close()  # gunicorn holds its own copy
            if out is not subprocess.DEVNULL:
                out.close()
        self.url = f"http://127.0.0.1:{port}"
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            with contextlib.suppress(requests.RequestException):
                answer = requests.get(f"{self.url}/api/v1/public/processes", timeout=5)
                if answer.status_code == 200 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"gunicorn not ready after {timeout} s")

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def kill_workers(self) -> list[int]:
        """kill -9 every worker mid-request; the master notices and forks new ones."""
        pids = self.worker_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None:
            kill_group(self.process, sig)
            self.process = None


class TimerWorker:
    """One `alur worker` process (timers and outbox)."""

    def __init__(self, env: dict[str, str], log: Path | None = None) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None
        # The log may be shared with an earlier worker of the test: count its "worker started" lines.
        self.started = log.read_text(errors="replace").count("worker started") if log and log.exists() else 0

    def start(self) -> TimerWorker:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=self.env, cwd=ROOT,
                                            start_new_session=True, stdout=out, stderr=subprocess.STDOUT)
        finally:
            if out is not subprocess.DEVNULL:
                out.close()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the worker says it started (its log), so a test's timers never wait for its imports."""
        if self.log is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}")
            if self.log.exists() and self.log.read_text(errors="replace").count("worker started") > self.started:
                self.started += 1
                return
            time.sleep(0.05)
        raise TimeoutError(f"worker not started after {timeout} s")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None:
            kill_group(self.process, sig)
            self.process = None


@contextlib.contextmanager
def running(*things: Gunicorn | TimerWorker) -> Iterator[None]:
    """Stop (kill -9) everything given when the block ends, even on failure."""
    try:
        yield
    finally:
        for thing in things:
            thing.stop()


def login(base_url: str, username: str) -> str:
    answer = requests.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                           timeout=30)
    answer.raise_for_status()
    return answer.json()["token"]
