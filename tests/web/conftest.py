"""Fixtures for the web pages: the real procedures, a SQLite file migrated and seeded once, copied per test."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from api.app import create_app
from api.db import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "alur-demo"  # api/seed_data.json
FAST_HASH = "scrypt:256:1:1"  # test-only hashing cost (0.1 ms a hash); production keeps scrypt's default
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(database: Path, **overrides) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "ALUR_PROCESSES_DIR": ROOT / "processes",
        "ALUR_FORMS_DIR": ROOT / "forms",
        "ALUR_PASSWORD_METHOD": FAST_HASH,
        "ALUR_PUBLIC_LIMIT": 1000,
        "SMTP_HOST": None,
        "TESTING": True,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Schema by the migrations, processes registered, demo users and regions seeded: once per run."""
    path = tmp_path_factory.mktemp("web-db") / "template.db"
    app = make_app(path)
    with app.app_context():
        from flask_migrate import upgrade

        from api.seed import seed_demo
        from api.services.versions import runtime

        upgrade(directory=app.extensions["migrate"].directory)
        runtime().sync()
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    return path


def fresh_db(seeded_db: Path, target: Path) -> Path:
    shutil.copy(seeded_db, target)
    return target


@pytest.fixture
def app(seeded_db: Path, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(fresh_db(seeded_db, tmp_path / "alur.db"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf(client: FlaskClient, path: str = "/masuk") -> str:
    page = client.get(path)
    found = CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def login(client: FlaskClient, username: str) -> None:
    token = csrf(client)
    answer = client.post("/masuk", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]


def post(client: FlaskClient, path: str, data: dict | list, token_page: str = "/tugas", **kwargs):
    """A form POST with the session's CSRF token (read from a page the user can open)."""
    token = csrf(client, token_page)
    items = list(data.items()) if isinstance(data, dict) else list(data)
    return client.post(path, data=MultiDict([*items, ("csrf_token", token)]), **kwargs)


# -- browser tests: the app on 127.0.0.1 in a thread, Debian's Chromium driven by Playwright ----------

CHROMIUM = os.environ.get("ALUR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"Chromium tidak ada di {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "paket Python playwright belum terpasang (pip install -e '.[dev]')"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the test item, so the page fixture can screenshot failures."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def require_browser() -> None:
    """Skip without Chromium, or fail where the browser tests are required (CI)."""
    reason = _browser_missing()
    if reason:
        if os.environ.get("ALUR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ALUR_REQUIRE_BROWSER=1 tetapi {reason}")
        pytest.skip(reason)


@contextmanager
def serving(app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, for as long as the block runs; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_browser()
    with serving(make_app(fresh_db(seeded_db, tmp_path_factory.mktemp("live") / "alur.db"))) as url:
        yield url


@pytest.fixture(scope="module")
def browser(live_server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server: str, request: pytest.FixtureRequest):
    """Pages in fresh browser contexts (own cookies); a failing test leaves screenshots in test-artifacts/."""
    contexts = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server,
                                      locale="id-ID")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = any(getattr(request.node, f"rep_{when}", None) and getattr(request.node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
                page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
    for context in contexts:
        context.close()
