"""What every page shares: login for pages, CSRF, security headers, error pages, formatting, the vendor route."""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode
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
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import zones
from api.auth import Principal, current_principal
from api.config import ROOT
from api.errors import PAGE_ERRORS, ApiError
from api.moments import spoken
from api.presenters import page
from api.schemas import MAX_PAGE
from api.services.deploy import analyst_role
from api.web import bp
from api.web.formkit import datetime_parts
from api.words import CASE_STATUS_NAMES, outbox_status_name
from engine import EngineError, indonesian_number, now

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

ZONE_OFFSETS = [(zones.offset(z), label) for z, label in zones.ZONES.items()]
STATUS_NAMES = CASE_STATUS_NAMES
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
    "message_delivered": "pesan tersampaikan",
    "message_undelivered": "pesan tidak tersampaikan",
    "timer_failed": "penanda waktu gagal dijalankan",
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
    body, status = _error_page(exc.code or 500, messages.get(exc.code or 500, exc.description or "permintaan gagal"))
    response = current_app.make_response((body, status))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # RFC 9110: a 405 says what is allowed
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    log.exception("unexpected error on a page")
    return _error_page(500, "terjadi kesalahan pada server; coba lagi atau hubungi admin")


def page_for_error(exc: Exception) -> Any:
    """The answer a page would give to `exc`: for errors outside any page (an address no page matches), which
    the app's JSON handlers hand over for every path outside /api/."""
    for kind, handler in ((PageError, _page_error), (ApiError, _api_error), (EngineError, _engine_error),
                          (HTTPException, _http_error)):
        if isinstance(exc, kind):
            return handler(exc)
    return _unexpected(exc)


@bp.record_once
def _offer_error_pages(state: Any) -> None:
    state.app.extensions[PAGE_ERRORS] = page_for_error


@bp.after_app_request
def _redirect_in_indonesian(response: Response) -> Response:
    """Werkzeug's redirect body is English ("Redirecting..."): a browser that does not follow it at once, or a
    reader of the source, gets the same in Bahasa Indonesia. The API's redirects are left as they are."""
    location = response.headers.get("Location")
    if not (300 <= response.status_code < 400 and location) or request.path.startswith("/api/"):
        return response
    if response.mimetype == "text/html" and b"Redirecting..." in response.get_data():
        target = escape(location)
        response.set_data(
            '<!doctype html>\n<html lang="id">\n<title>Dialihkan</title>\n<h1>Dialihkan</h1>\n'
            f'<p>Halaman ini berpindah ke <a href="{target}">{target}</a>. Bila tidak terbuka sendiri, ikuti '
            'tautan tersebut.</p>\n</html>\n')
    return response


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
    """(IANA name, WIB/WITA/WIT) of the office of a region, as its admin set it (api/zones.py)."""
    zone = zones.zone_of(region)
    return zone, zones.abbreviation(zone)


def start_zone(region_field: str | None, values: dict[str, Any], prefixes: list[str] = ()) -> str:
    """The clock a start form's date-time inputs open on: the chosen (or preset) region's, else the one all
    the user's regions for that start share, else WIB."""
    chosen = values.get(region_field) if region_field else None
    if isinstance(chosen, str) and chosen:
        return zones.zone_of(chosen)
    found = {zones.zone_of(p) for p in prefixes}
    return found.pop() if len(found) == 1 else zones.DEFAULT_ZONE


def local(moment: datetime | None, region: str | None = None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone_for(region)[0]))


def fmt_moment(moment: datetime | str | None, region: str | None = None, *, with_time: bool = True,
               zone: str | None = None) -> str:
    """A moment as people read it, on the clock of the region's office (or of `zone`, an IANA name, when given)."""
    if moment is None or moment == "":
        return "-"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
        if moment.tzinfo is None:  # a date: no clock to read it on
            return spoken(moment.replace(tzinfo=ZoneInfo(zones.DEFAULT_ZONE)), with_time=False)
    return spoken(moment, zone or zone_for(region)[0], with_time=with_time)


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


@bp.app_template_filter("kapital")
def first_upper(text: Any) -> str:
    """The text with its first letter upper case and the rest as written (Jinja's `capitalize` would make
    'RKPD' into 'rkpd')."""
    value = str(text or "")
    return value[:1].upper() + value[1:]


@bp.app_template_filter("moment")
def _moment_filter(value: Any, region: str | None = None, zone: str | None = None) -> str:
    return fmt_moment(value, region, zone=zone)


@bp.app_template_filter("tojson_attr")
def _json_attr(value: Any) -> str:
    return json.dumps(value)


bp.add_app_template_filter(outbox_status_name, "outbox_status")


@bp.app_context_processor
def _context() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "CSRF_FIELD": CSRF_FIELD, "status_name": lambda s: STATUS_NAMES.get(s, s),
            "event_name": lambda k: EVENT_NAMES.get(k, k), "due_mark": due_mark,
            "datetime_parts": datetime_parts, "number_text": indonesian_number, "zone_offsets": ZONE_OFFSETS,
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

    if req.blueprint not in ("web", None):  # None: an address no route matched, answered by the error page
        return {}
    return {"me": header_user()}


def page_number(args: Any) -> int:
    """The `hal` of a paged page, kept within 1..MAX_PAGE as the API's limit: a page shows what it can rather
    than refusing a number typed into the address bar (a huge one would overflow the database's integer)."""
    try:
        return max(1, min(int(args.get("hal") or 1), MAX_PAGE))
    except ValueError:
        return 1


def list_page(query: Any, args: Any, per_page: int, **options: Any) -> tuple[list[Any], dict[str, Any], int]:
    """One page of a paged list page (rows, paging facts, number of pages); a number past the last page, an old
    link or one typed in, shows the last page rather than an empty list that still counts rows."""
    rows, paging = page(query, page_number(args), per_page, **options)
    pages = max(1, -(-paging["total"] // per_page))
    if not rows and paging["page"] > pages:
        rows, paging = page(query, pages, per_page, **options)
    return rows, paging, pages


def period_problems(args: Any) -> dict[str, str]:
    """What is wrong with a page's `dari`/`sampai` (by field), which `period` would otherwise replace unseen."""
    problems: dict[str, str] = {}
    days = {}
    for name in ("dari", "sampai"):
        text = args.get(name, "")
        if not text:
            continue
        try:
            days[name] = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            problems[name] = "bukan tanggal yang sah (TTTT-BB-HH)"
    if len(days) == 2 and days["sampai"] < days["dari"]:
        problems["sampai"] = "tidak boleh sebelum tanggal “dari”"
    return problems


def query_with(args: Any, **changes: str) -> str:
    """The page's query string with some parameters replaced (an empty value drops one): every filter (a list
    repeats its name) is kept, so sorting or paging never loses what the user narrowed by."""
    pairs = [(k, v) for k, vs in args.lists() if k not in changes for v in vs]
    return urlencode(pairs + [(k, v) for k, v in changes.items() if v != ""])


def period(args: Any, default_days: int = 365) -> tuple[datetime, datetime, str, str]:
    """A [from, to) period from `dari`/`sampai` dates (YYYY-MM-DD, WIB days); default the last year."""
    zone = ZoneInfo(zones.DEFAULT_ZONE)
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
