"""Settings from the environment, with defaults that run the demo on one machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    data_dir = Path(os.environ.get("ALUR_DATA_DIR", ROOT / "instance"))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'alur.db'}"


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
        "SECRET_KEY": env.get("ALUR_SECRET_KEY", "alur-demo-secret-change-me"),
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
        # werkzeug method string; tests lower the scrypt cost to stay fast.
        "ALUR_PASSWORD_METHOD": env.get("ALUR_PASSWORD_METHOD", "scrypt"),
        # Public submissions per client address per window.
        "ALUR_PUBLIC_LIMIT": int(env.get("ALUR_PUBLIC_LIMIT", "5")),
        "ALUR_PUBLIC_WINDOW_SECONDS": int(env.get("ALUR_PUBLIC_WINDOW_SECONDS", "600")),
        # Outgoing mail; without SMTP_HOST messages wait in the outbox.
        "SMTP_HOST": env.get("SMTP_HOST"),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USER": env.get("SMTP_USER"),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "") in ("1", "true", "yes"),
        "SMTP_FROM": env.get("SMTP_FROM", "alur@localhost"),
        "ALUR_OUTBOX_MAX_ATTEMPTS": int(env.get("ALUR_OUTBOX_MAX_ATTEMPTS", "8")),
        "ALUR_WORKER_MAX_SLEEP": float(env.get("ALUR_WORKER_MAX_SLEEP", "5")),
        # How far ahead (seconds) the worker prepares timer firings, to write them in bulk when due (api/worker.py).
        "ALUR_TIMER_LOOKAHEAD": float(env.get("ALUR_TIMER_LOOKAHEAD", "300")),
        # A preparation applied later than this after its moment would differ from a firing done now: dropped.
        "ALUR_PREPARED_MAX_LATE": float(env.get("ALUR_PREPARED_MAX_LATE", "10")),
        # A timer whose firing raises is tried again after this, doubling up to an hour (api/worker.py).
        "ALUR_TIMER_RETRY_SECONDS": float(env.get("ALUR_TIMER_RETRY_SECONDS", "60")),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # OpenAPI document and browsable page (flask-smorest).
        "API_TITLE": "Alur API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides or {})
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
