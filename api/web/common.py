"""What every page shares: login for pages, CSRF, security headers, error pages, formatting, the vendor route."""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from api.auth import Principal, current_principal
from api.config import ROOT
from api.errors import ApiError
from api.services.deploy import analyst_role
from api.web import bp
from api.web.formkit import datetime_parts, number_text
from engine import EngineError, now

log = logging.getLogger(__name__)
CSRF_FIELD = "csrf_token"
VENDOR_DIRS = {"bpmn-js": ROOT / "node_modules" / "bpmn-js" / "dist",
               "swagger-ui-dist": ROOT / "node_modules" / "swagger-ui-dist",
               "alur-modeler": ROOT / "build" / "modeler"}  # bundled by `make setup` (npm run build)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# Province code -> time zone (kode wilayah Kemendagri); anything else is WIB.
_ZONES = {
    **{p: ("Asia/Makassar", "WITA") for p in ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")},
    **{p: ("Asia/Jayapura", "WIT") for p in ("81", "82", "91", "92", "94", "95", "96", "97")},
}
_WIB = ("Asia/Jakarta", "WIB")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
ZONE_OFFSETS = [("+07:00", "WIB"), ("+08:00", "WITA"), ("+09:00", "WIT")]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
STATUS_NAMES = {
    "running": "berjalan",
    "waiting": "menunggu waktu/pesan",
    "error": "ada kesalahan",
    "complete": "selesai",
    "suspended": "ditangguhkan",
    "cancelled": "dibatalkan",
}
EVENT_NAMES = {
    "instance_started": "dimulai",
    "task_ready": "tugas siap",
    "task_claimed": "tugas diambil",
    "task_unclaimed": "tugas dilepas",
    "task_completed": "tugas diselesaikan",
    "timer_fired": "batas waktu tercapai",
    "escalation": "eskalasi",
    "message_sent": "pesan dikirim",
    "message_received": "pesan diterima",
    "signal_received": "sinyal diterima",
    "error": "kesalahan",
    "instance_completed": "selesai",
    "instance_suspended": "ditangguhkan",
    "instance_resumed": "dilanjutkan",
    "instance_cancelled": "dibatalkan",
    "instance_retried": "dicoba ulang",
    "message_retry": "pengiriman pesan diulang",
    "migrated": "dipindahkan ke versi lain",
}
# Pages whose form carries files, or a modeler draft (a whole diagram and its forms): their body may be
# as large as a deploy upload, not the usual request limit.
UPLOAD_ENDPOINTS = {"web.upload_submit", "web.modeler_lint", "web.modeler_check", "web.modeler_deploy",
                    "web.modeler_preview"}


class PageError(Exception):
    """A refusal shown as a page (status, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# -- login -----------------------------------------------------------------------


def page_login(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for signed-in users: without a session, go to the login page and come back."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_principal() is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return fn(*args, **kwargs)

    return wrapper


def principal() -> Principal:
    found = current_principal()
    if found is None:
        raise PageError(401, "silakan masuk terlebih dahulu")
    return found


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never `//host` or `https://host`."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


# -- CSRF and headers -------------------------------------------------------------


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


@bp.before_request
def _check_csrf() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        # Set before the form is read below; a larger body is refused with 413 while it is read.
        request.max_content_length = int(current_app.config.get("ALUR_DEPLOY_MAX_BYTES", 8_000_000))
    if _has_nul(request.args) or (request.method not in ("GET", "HEAD", "OPTIONS") and _has_nul(request.form)):
        raise PageError(400, "isian memuat karakter yang tidak sah (NUL)")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        raise PageError(400, "formulir kedaluwarsa atau tidak berasal dari halaman ini; muat ulang lalu kirim lagi")


def _has_nul(values: Any) -> bool:
    """U+0000 in a query or form value: PostgreSQL cannot store or compare it, and no form needs it."""
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


# -- errors as pages --------------------------------------------------------------


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


@bp.errorhandler(PageError)
def _page_error(exc: PageError):
    if exc.status == 401:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return _error_page(exc.status, exc.message)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    if exc.status == 401:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return _error_page(exc.status, exc.message)


@bp.errorhandler(EngineError)
def _engine_error(exc: EngineError):
    return _error_page(409, str(exc))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    messages = {404: "halaman tidak ditemukan", 405: "metode tidak diizinkan", 400: "permintaan tidak dapat dibaca",
                413: "kiriman terlalu besar; kurangi isian atau lampiran lalu kirim lagi"}
    return _error_page(exc.code or 500, messages.get(exc.code or 500, exc.description or "permintaan gagal"))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unexpected error on a page")
    return _error_page(500, "terjadi kesalahan pada server; coba lagi atau hubungi admin")


# -- vendor files (npm packages installed by `make setup`) ------------------------


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico before reading the page's icon link: the same picture."""
    return bp.send_static_file("favicon.svg")


@bp.route("/web/vendor/<package>/<path:name>")
def vendor(package: str, name: str) -> Response:
    folder = VENDOR_DIRS.get(package)
    if folder is None or not folder.is_dir():
        abort(404)
    response = send_from_directory(folder, name, max_age=3600)  # refuses paths leaving the folder
    return response


def vendor_ready() -> bool:
    return (VENDOR_DIRS["bpmn-js"] / "bpmn-navigated-viewer.production.min.js").is_file()


# -- formatting -------------------------------------------------------------------


def zone_for(region: str | None) -> tuple[str, str]:
    return _ZONES.get((region or "")[:2], _WIB)


def local(moment: datetime | None, region: str | None = None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone_for(region)[0]))


def fmt_moment(moment: datetime | str | None, region: str | None = None, *, with_time: bool = True) -> str:
    if moment is None or moment == "":
        return "-"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
        if moment.tzinfo is None:
            return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    shown = local(moment, region)
    text = f"{shown.day} {_MONTHS[shown.month - 1]} {shown.year}"
    return f"{text} {shown:%H:%M} {zone_for(region)[1]}" if with_time else text


def due_mark(due: datetime | None, region: str | None = None, moment: datetime | None = None) -> tuple[str, str]:
    """(css class, label): late, due today (in the office's zone), on time, or no due moment."""
    if due is None:
        return "tanpa", "tanpa batas"
    moment = moment or now()
    if due < moment:
        return "terlambat", "terlambat"
    if local(due, region).date() == local(moment, region).date():
        return "hari-ini", "jatuh tempo hari ini"
    return "tepat", "tepat waktu"


def display_value(value: Any, spec: dict[str, Any] | None = None) -> str:
    """A data value as people read it: option titles, Ya/Tidak, dates, lists."""
    spec = spec or {}
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    options = {o.get("const"): o.get("title") for o in spec.get("oneOf", []) if isinstance(o, dict)}
    if isinstance(value, list):
        item = spec.get("items", {}) if isinstance(spec.get("items"), dict) else {}
        return "; ".join(display_value(v, item) for v in value)
    if isinstance(value, dict):
        props = spec.get("properties", {})
        return ", ".join(f"{props.get(k, {}).get('title', k)}: {display_value(v, props.get(k))}"
                         for k, v in value.items())
    if value in options:
        return str(options[value])
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    if isinstance(value, str) and (spec.get("format") in ("date-time", "date") or _ISO_MOMENT.match(value)):
        return fmt_moment(value)
    return str(value)


@bp.app_template_filter("kapital")
def first_upper(text: Any) -> str:
    """The text with its first letter upper case and the rest as written (Jinja's `capitalize` would make
    'RKPD' into 'rkpd')."""
    value = str(text or "")
    return value[:1].upper() + value[1:]


@bp.app_template_filter("moment")
def _moment_filter(value: Any, region: str | None = None) -> str:
    return fmt_moment(value, region)


@bp.app_template_filter("tojson_attr")
def _json_attr(value: Any) -> str:
    return json.dumps(value)


@bp.app_context_processor
def _context() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "CSRF_FIELD": CSRF_FIELD, "status_name": lambda s: STATUS_NAMES.get(s, s),
            "event_name": lambda k: EVENT_NAMES.get(k, k), "display_value": display_value, "due_mark": due_mark,
            "datetime_parts": datetime_parts, "number_text": number_text, "zone_offsets": ZONE_OFFSETS,
            "vendor_ready": vendor_ready}


def header_user() -> dict[str, Any] | None:
    """The signed-in user for the page header: name, and each role with its regions (named when known)."""
    who = current_principal()
    if who is None:
        return None
    from api.web.queries import region_names

    names = region_names({p for _, p in who.grants})
    roles: dict[str, list[str]] = {}
    for role, prefix in who.grants:
        roles.setdefault(role, []).append(names.get(prefix, prefix) if prefix else "semua wilayah")
    admin_role, viewer_role = current_app.config["ALUR_ADMIN_ROLE"], current_app.config["ALUR_VIEWER_ROLE"]
    analyst = analyst_role()
    return {
        "username": who.user.username,
        "full_name": who.user.full_name or who.user.username,
        "roles": roles,
        "staff": bool(who.roles - {admin_role, viewer_role, analyst}),
        "monitor": bool(who.roles & {admin_role, viewer_role}),
        "analyst": analyst in who.roles,
        "org_admin": "" in who.prefixes(admin_role),
    }


@bp.app_context_processor
def _header() -> dict[str, Any]:
    from flask import request as req

    if req.blueprint != "web":
        return {}
    return {"me": header_user()}


def period(args: Any, default_days: int = 365) -> tuple[datetime, datetime, str, str]:
    """A [from, to) period from `dari`/`sampai` dates (YYYY-MM-DD, WIB days); default the last year."""
    zone = ZoneInfo(_WIB[0])
    today = now().astimezone(zone).date()

    def day(name: str, fallback):
        try:
            return datetime.strptime(args.get(name, ""), "%Y-%m-%d").date()
        except ValueError:
            return fallback

    start, end = day("dari", today - timedelta(days=default_days)), day("sampai", today)
    lo = datetime(start.year, start.month, start.day, tzinfo=zone).astimezone(UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=zone).astimezone(UTC) + timedelta(days=1)
    return lo, hi, start.isoformat(), end.isoformat()
