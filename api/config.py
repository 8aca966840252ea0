"""Settings from the environment, with defaults that run the demo on one machine."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"  # in the instance folder


def data_dir() -> Path:
    """The instance folder: the demo database and the generated secret key."""
    return Path(os.environ.get("ALUR_DATA_DIR", ROOT / "instance"))


def _default_database_url() -> str:
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'alur.db'}"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def stored_secret_key(folder: Path) -> str:
    """A random key made once and kept in `folder` (mode 0600), so every gunicorn worker and every restart
    signs sessions with the same key.

    Workers starting together race to create it: the first link wins and everyone reads the winner's file.
    """
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=folder, prefix=f".{SECRET_KEY_FILE}.")  # created with mode 0600
        try:
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)  # atomic, and never replaces a key another worker already wrote
        finally:
            os.unlink(draft)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path}: kunci rahasia kosong atau terlalu pendek; hapus berkasnya agar dibuat ulang")
    return key


def normalize_database_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3 here (the only driver we install)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(env.get("DATABASE_URL") or _default_database_url()),
        "ALUR_PROCESSES_DIR": Path(env.get("ALUR_PROCESSES_DIR", ROOT / "processes")),
        "ALUR_FORMS_DIR": Path(env.get("ALUR_FORMS_DIR", ROOT / "forms")),
        "ALUR_CALENDAR_FILE": env.get("ALUR_CALENDAR_FILE"),
        # Role names with powers outside the diagrams' lanes.
        "ALUR_ADMIN_ROLE": env.get("ALUR_ADMIN_ROLE", "Admin"),
        "ALUR_VIEWER_ROLE": env.get("ALUR_VIEWER_ROLE", "Pemantau"),
        "ALUR_ANALYST_ROLE": env.get("ALUR_ANALYST_ROLE", "Analis Proses"),
        # Request bodies: every request at most MAX_CONTENT_LENGTH bytes (413 beyond it), except a
        # deploy upload (diagrams and forms), which may carry up to ALUR_DEPLOY_MAX_BYTES.
        "MAX_CONTENT_LENGTH": int(env.get("ALUR_MAX_REQUEST_BYTES", str(1024 * 1024))),
        "ALUR_DEPLOY_MAX_BYTES": int(env.get("ALUR_DEPLOY_MAX_BYTES", "8000000")),
        # Lifetime of a login (bearer token and the web session on it); after it, 401 token_expired.
        "ALUR_TOKEN_TTL_HOURS": float(env.get("ALUR_TOKEN_TTL_HOURS", "12")),
        # werkzeug method string; tests lower the scrypt cost to stay fast.
        "ALUR_PASSWORD_METHOD": env.get("ALUR_PASSWORD_METHOD", "scrypt"),
        # Public submissions per client address per window.
        "ALUR_PUBLIC_LIMIT": int(env.get("ALUR_PUBLIC_LIMIT", "5")),
        "ALUR_PUBLIC_WINDOW_SECONDS": int(env.get("ALUR_PUBLIC_WINDOW_SECONDS", "600")),
        # Failed logins (api/services/login_throttle.py): free failures per account / per client address within
        # the window, then a wait starting at DELAY seconds and doubling, at most the window.
        "ALUR_LOGIN_FREE_FAILURES": int(env.get("ALUR_LOGIN_FREE_FAILURES", "5")),
        "ALUR_LOGIN_ADDRESS_FAILURES": int(env.get("ALUR_LOGIN_ADDRESS_FAILURES", "20")),
        "ALUR_LOGIN_WINDOW_SECONDS": int(env.get("ALUR_LOGIN_WINDOW_SECONDS", "900")),
        "ALUR_LOGIN_DELAY_SECONDS": int(env.get("ALUR_LOGIN_DELAY_SECONDS", "30")),
        # How long an Idempotency-Key of a start request is kept (api/services/idempotency.py).
        "ALUR_IDEMPOTENCY_HOURS": float(env.get("ALUR_IDEMPOTENCY_HOURS", "24")),
        # Outgoing mail; without SMTP_HOST messages wait in the outbox.
        "SMTP_HOST": env.get("SMTP_HOST"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USER": env.get("SMTP_USER"),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "") in ("1", "true", "yes"),
        "SMTP_FROM": env.get("SMTP_FROM", "alur@localhost"),
        "ALUR_OUTBOX_MAX_ATTEMPTS": int(env.get("ALUR_OUTBOX_MAX_ATTEMPTS", "8")),
        "ALUR_WORKER_MAX_SLEEP": float(env.get("ALUR_WORKER_MAX_SLEEP", "5")),
        # A failure the worker, the outbox or a preparation does not expect (a programming error) is raised
        # instead of only logged (api/failures.py); unset: raised when TESTING, logged otherwise.
        "ALUR_RAISE_UNEXPECTED": _flag(env["ALUR_RAISE_UNEXPECTED"]) if "ALUR_RAISE_UNEXPECTED" in env else None,
        # How far ahead (seconds) the worker prepares timer firings, to write them in bulk when due (api/worker.py).
        "ALUR_TIMER_LOOKAHEAD": float(env.get("ALUR_TIMER_LOOKAHEAD", "300")),
        # A preparation applied later than this after its moment would differ from a firing done now: dropped.
        "ALUR_PREPARED_MAX_LATE": float(env.get("ALUR_PREPARED_MAX_LATE", "10")),
        # A timer whose firing raises is tried again after this, doubling up to an hour (api/worker.py).
        "ALUR_TIMER_RETRY_SECONDS": float(env.get("ALUR_TIMER_RETRY_SECONDS", "60")),
        # The worker's watchdog (api/watchdog.py): longest engine run for one instance, the worker process's
        # memory, and how long SIGTERM waits for the round in progress before the process is killed.
        "ALUR_FIRING_SECONDS": float(env.get("ALUR_FIRING_SECONDS", "10")),
        "ALUR_WORKER_MAX_MEMORY_MB": int(env.get("ALUR_WORKER_MAX_MEMORY_MB", "1024")),
        "ALUR_WORKER_STOP_SECONDS": float(env.get("ALUR_WORKER_STOP_SECONDS", "3")),
        # JSON size of one task's data: what a script leaves beyond it errs the instance, naming the field.
        "ALUR_MAX_DATA_BYTES": int(env.get("ALUR_MAX_DATA_BYTES", "1000000")),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Behind HTTPS: session cookies only over HTTPS, and browsers told to stay on HTTPS (HSTS).
        "ALUR_SECURE_COOKIES": _flag(env.get("ALUR_SECURE_COOKIES")),
        # How many reverse proxies in front set X-Forwarded-For/-Proto; 0: trust none (the client's own address).
        "ALUR_TRUSTED_PROXIES": int(env.get("ALUR_TRUSTED_PROXIES", "0")),
        # OpenAPI document and browsable page (flask-smorest).
        "API_TITLE": "Alur API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served by the app from node_modules like bpmn-js, so the page works on an office network without internet.
        "OPENAPI_SWAGGER_UI_URL": "/web/vendor/swagger-ui-dist/",
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides or {})
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = env.get("ALUR_SECRET_KEY") or stored_secret_key(data_dir())
    if config["ALUR_SECURE_COOKIES"]:
        config["SESSION_COOKIE_SECURE"] = True
    for key in ("ALUR_PROCESSES_DIR", "ALUR_FORMS_DIR"):
        config[key] = Path(config[key])
    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    if "SQLALCHEMY_ENGINE_OPTIONS" not in (overrides or {}):
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            # Several gunicorn workers and the timer worker share one file: wait for locks.
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
        else:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    return config
