"""Request bodies nested too deep, or holding NaN or Infinity, are refused before anything parses them.

Python's JSON reader recurses once per level: a body of 10,000 `[` raises
RecursionError (a 500) in whichever parser meets it first (Flask's, webargs'), and
a body just under that limit still makes every later walk (form validation, the
engine) deep. So one check on the raw bytes, for every route: strings removed (a
bracket inside a text is no nesting), the brackets left are counted. It never
builds the value, and costs a few milliseconds for a body at the size limit.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from flask import current_app, request

from api.errors import ApiError, invalid
from engine import NOT_FINITE, non_finite_paths

JSON_TOO_DEEP = "json_too_deep"

MAX_JSON_DEPTH = 64  # a form's data is a few levels deep; a deploy body is two
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: fast on long texts
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes) -> int:
    """The deepest nesting of a JSON text (malformed text gives some number; the parser refuses it later)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    opening = brackets.count(b"[") + brackets.count(b"{")
    if opening <= MAX_JSON_DEPTH:
        return opening  # cannot nest deeper than the number of brackets it opens
    return max(accumulate(_STEP[b] for b in brackets))


def refuse_deep_json(limit: int | None = None) -> None:
    """before_request: a JSON body deeper than MAX_JSON_DEPTH is a 400 naming the problem.

    Only bodies within `limit` (the global request limit) are read here: a larger one is
    refused with 413 when read, except by a route with its own larger limit (a deploy),
    which calls this itself once it has set that limit.
    """
    if not request.is_json:
        return
    length = request.content_length
    if length is None or length > (limit or current_app.config["MAX_CONTENT_LENGTH"]):
        return  # unknown length: bounded by the reader; RecursionError still ends as a 400 (api/errors.py)
    body = request.get_data(cache=True)
    if body and json_depth(body) > MAX_JSON_DEPTH:
        raise too_deep()


# Python's reader takes these bare words as floats, which no JSON reader elsewhere accepts and which no
# comparison of a form's bounds ever refuses (NaN < 0 and NaN > 0 are both false).
_NON_FINITE = re.compile(rb"NaN|Infinity")


def refuse_non_finite_json(limit: int | None = None) -> None:
    """before_request, after the login check: a JSON body with NaN or Infinity is a 422 naming the field.

    Only the bodies that carry such a word outside every text are parsed here, to find where it is.
    """
    if not request.is_json:
        return
    length = request.content_length
    if length is None or length > (limit or current_app.config["MAX_CONTENT_LENGTH"]):
        return
    body = request.get_data(cache=True)
    if not body or not _NON_FINITE.search(_STRING.sub(b"", body)):
        return
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return  # malformed: the route's own parse refuses it with a 400
    paths = non_finite_paths(value)
    if paths:
        raise invalid([{"field": path or "(permintaan)", "message": NOT_FINITE} for path in paths])


def too_deep() -> ApiError:
    message = f"JSON bersarang terlalu dalam: paling banyak {MAX_JSON_DEPTH} tingkat objek/daftar"
    return ApiError(400, JSON_TOO_DEEP, message)


def json_body() -> object:
    """The request's JSON body, for routes that read it themselves: malformed text is a 400, as on every route."""
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True).strip():
        raise ApiError(400, "bad_request", "permintaan tidak dapat dibaca")
    return body
