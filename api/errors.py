"""Every error of the API leaves as JSON: a machine code, an Indonesian message, and the fields at fault.

Never a stack trace. Engine refusals map to HTTP codes here, so routes just let them rise. Outside
/api/ (an address no page matches, a refusal before any page ran) the pages' own HTML error page
answers instead, when the pages registered one (`PAGE_ERRORS`): a browser should not be shown JSON.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from engine import (
    EngineError,
    FormInvalid,
    NothingWaiting,
    NotHumanTask,
    NotInError,
    StateError,
    StateTooLarge,
    TaskNotFound,
    TaskNotReady,
    WrongLane,
)

log = logging.getLogger(__name__)
PAGE_ERRORS = "alur.page_errors"  # app.extensions key: exception -> the HTML error page's answer


class ApiError(Exception):
    """A refusal with its HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str, fields: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []
        self.headers = headers or {}  # e.g. Retry-After of a 429


def not_found(what: str = "data") -> ApiError:
    return ApiError(404, "not_found", f"{what} tidak ditemukan")


def conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


def invalid(fields: list[dict[str, str]], message: str = "isian tidak valid") -> ApiError:
    return ApiError(422, "invalid_input", message, fields)


# Engine refusal -> (status, code). Wrong lane is 404: the caller must not learn the task exists.
_ENGINE_STATUS: dict[type[EngineError], int] = {
    TaskNotFound: 404,
    WrongLane: 404,
    TaskNotReady: 409,
    NotHumanTask: 409,
    NothingWaiting: 409,
    NotInError: 409,
}

_HTTP_MESSAGES = {
    400: ("bad_request", "permintaan tidak dapat dibaca"),
    401: ("unauthorized", "silakan masuk terlebih dahulu"),
    403: ("forbidden", "anda tidak berwenang"),
    404: ("not_found", "alamat tidak ditemukan"),
    405: ("method_not_allowed", "metode tidak diizinkan untuk alamat ini"),
    409: ("conflict", "data telah berubah; muat ulang"),
    413: ("too_large", "permintaan terlalu besar"),
    415: ("unsupported_media_type", "kirim data sebagai JSON"),
    422: ("invalid_input", "isian tidak valid"),
    429: ("too_many_requests", "terlalu banyak permintaan; coba lagi nanti"),
}

# marshmallow/webargs messages in Indonesian: every one our request schemas can produce (fields and validators).
_FIELD_MESSAGES = {
    "Missing data for required field.": "wajib diisi",
    "Unknown field.": "isian tidak dikenal",
    "Not a valid string.": "harus berupa teks",
    "Not a valid utf-8 string.": "bukan teks UTF-8 yang sah",
    "Not a valid integer.": "harus bilangan bulat",
    "Not a valid number.": "harus berupa angka",
    "Number too large.": "angka terlalu besar",
    "Not a valid boolean.": "harus ya/tidak",
    "Not a valid datetime.": "bukan tanggal dan jam yang sah",
    "Not a valid aware datetime.": "tanggal dan jam harus memuat zona waktu",
    "Not a valid date.": "bukan tanggal yang sah",
    "Not a valid mapping type.": "harus berupa objek",
    "Not a valid list.": "harus berupa daftar",
    "Field may not be null.": "tidak boleh kosong",
    "Invalid input type.": "jenis isian tidak sesuai",
    "Invalid type.": "jenis isian tidak sesuai",
    "Invalid value.": "nilai tidak sah",
    "Invalid input.": "nilai tidak sah",
    "String does not match expected pattern.": "formatnya tidak sesuai",
    "Invalid JSON body.": "JSON tidak dapat dibaca",
}
# Validator messages that carry their limits (validate.Range, Length, OneOf, Equal, ContainsOnly).
_BOUND = {
    "greater than or equal to": "minimal {}",
    "greater than": "harus lebih dari {}",
    "less than or equal to": "maksimal {}",
    "less than": "harus kurang dari {}",
}
_OPS = "|".join(sorted(map(re.escape, _BOUND), key=len, reverse=True))
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Must be (greater than or equal to) (.+) and (less than or equal to) (.+)\.$"),
     lambda m: f"harus antara {m[2]} dan {m[4]}"),
    (re.compile(rf"^Must be ({_OPS}) (.+) and ({_OPS}) (.+)\.$"),
     lambda m: f"{_BOUND[m[1]].format(m[2])} dan {_BOUND[m[3]].format(m[4])}"),
    (re.compile(rf"^Must be ({_OPS}) (.+)\.$"), lambda m: _BOUND[m[1]].format(m[2])),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: f"panjang harus antara {m[1]} dan {m[2]} karakter"),
    (re.compile(r"^Length must be (\d+)\.$"), lambda m: f"panjang harus tepat {m[1]} karakter"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: f"terlalu pendek; minimal {m[1]} karakter"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: f"terlalu panjang; maksimal {m[1]} karakter"),
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: f"harus salah satu dari: {m[1]}"),
    (re.compile(r"^Must be equal to (.*)\.$"), lambda m: f"harus sama dengan {m[1]}"),
    (re.compile(r"^One or more of the choices you made was not in: (.*)\.$"),
     lambda m: f"ada pilihan yang tidak termasuk: {m[1]}"),
]


def translate(message: str) -> str:
    """A marshmallow/webargs message in Indonesian; our own messages (already Indonesian) pass through."""
    if message in _FIELD_MESSAGES:
        return _FIELD_MESSAGES[message]
    for pattern, render in _PATTERNS:
        found = pattern.match(message)
        if found:
            return render(found)
    return message


def error_response(status: int, code: str, message: str, fields: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def _flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {"json": {"field": ["msg"]}} -> [{"field", "message"}]."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if key not in ("json", "query", "form", "_schema") or prefix else ""
            out.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        for message in messages:
            out.append({"field": prefix or "(permintaan)", "message": translate(message)})
    elif isinstance(messages, list):
        for item in messages:
            out.extend(_flatten(item, prefix))
    else:
        out.append({"field": prefix or "(permintaan)", "message": str(messages)})
    return out


def _page(exc: Exception) -> Any:
    """The pages' HTML answer to an error outside /api/, or None where JSON is the answer."""
    render = current_app.extensions.get(PAGE_ERRORS)
    if render is None or request.path == "/api" or request.path.startswith("/api/"):
        return None
    return render(exc)


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        response = error_response(exc.status, exc.code, exc.message, exc.fields)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(FormInvalid)
    def _form_invalid(exc: FormInvalid) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        return error_response(422, "form_invalid", "isian formulir tidak valid", [e.as_dict() for e in exc.errors])

    @app.errorhandler(EngineError)
    def _engine_error(exc: EngineError) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        status = next((s for cls, s in _ENGINE_STATUS.items() if isinstance(exc, cls)), 409)
        if status == 404:
            return error_response(404, "not_found", "tugas tidak ditemukan")
        return error_response(status, exc.code, str(exc))

    @app.errorhandler(StateError)
    def _state_error(exc: StateError) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        if isinstance(exc, StateTooLarge):  # refused before anything was stored: the caller's data is at fault
            return error_response(422, "data_too_large", str(exc))
        log.exception("stored state cannot be loaded")
        return error_response(500, "state_error", "keadaan kasus tersimpan tidak dapat dibaca")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        status = exc.code or 500
        code, message = _HTTP_MESSAGES.get(status, ("http_error", "permintaan gagal"))
        fields: list[dict[str, str]] = []
        data = getattr(exc, "data", None)  # webargs puts validation messages here
        if isinstance(data, dict) and "messages" in data:
            fields = _flatten(data["messages"])
        response = error_response(status, code, message, fields)
        headers = data.get("headers") if isinstance(data, dict) else None
        for header, value in (headers or {}).items():
            response.headers[header] = value
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # RFC 9110: a 405 says what is allowed
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        from api.json_depth import too_deep  # a body of unknown length that a JSON reader recursed into

        refusal = too_deep()
        if (answer := _page(refusal)) is not None:
            return answer
        return error_response(refusal.status, refusal.code, refusal.message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if (answer := _page(exc)) is not None:
            return answer
        log.exception("unexpected error")
        return error_response(500, "internal_error", "terjadi kesalahan pada server; coba lagi atau hubungi admin")
