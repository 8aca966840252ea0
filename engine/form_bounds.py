"""Bounds on a form's dates and moments, relative to now or to another field of the case data.

A `date` or `date-time` field may carry, beside its JSON Schema:

- `"x-alur-not-before": B` and `"x-alur-not-after": B`, where B is `"now"` (today for a date, this
  moment for a date-time) or an ISO 8601 duration (`"P1Y"`, `"P6M"`, `"P30D"`, `"PT12H"`): that long
  before now for `not-before`, that long after now for `not-after`;
- `"x-alur-not-before-field": "name"` and `"x-alur-not-after-field": "name"`: not before (after) the
  date or moment in that field, taken from the submitted data, else from the case data so far.
  A field that is empty or absent bounds nothing.

Now is the engine's clock. A date bound by now holds in some Indonesian zone (today is the date in
WIT for `not-after`, in WIB for `not-before`): the check need not know which office typed it. A
moment bound by "now" may miss it by five minutes, for the clocks of the computers that type it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from engine.clock import now

NOT_BEFORE = "x-alur-not-before"
NOT_AFTER = "x-alur-not-after"
NOT_BEFORE_FIELD = "x-alur-not-before-field"
NOT_AFTER_FIELD = "x-alur-not-after-field"
KEYWORDS = (NOT_BEFORE, NOT_AFTER, NOT_BEFORE_FIELD, NOT_AFTER_FIELD)

_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?)?$")
_UNITS = ("tahun", "bulan", "minggu", "hari", "jam", "menit")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WIB, _WIT = timezone(timedelta(hours=7)), timezone(timedelta(hours=9))
_GRACE = timedelta(minutes=5)
_MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"]


@dataclass(frozen=True)
class _Limit:
    value: date | datetime
    words: str  # what the bound is, for the message and the hint: "hari ini", "Tanggal musyawarah RT"


def annotation_problems(spec: Mapping[str, Any]) -> list[str]:
    """What is wrong with one field's bound annotations (for the lint), in Indonesian."""
    present = [k for k in KEYWORDS if k in spec]
    if not present:
        return []
    problems = []
    if spec.get("format") not in ("date", "date-time"):
        problems.append(f"{', '.join(present)} hanya untuk isian berformat date atau date-time")
    for key in (NOT_BEFORE, NOT_AFTER):
        if key in spec and not (spec[key] == "now" or (isinstance(spec[key], str) and _DURATION.match(spec[key]))):
            problems.append(f"{key} harus \"now\" atau durasi ISO 8601 seperti \"P1Y\", \"P6M\", \"P30D\", "
                            f"bukan {spec[key]!r}")
    for key in (NOT_BEFORE_FIELD, NOT_AFTER_FIELD):
        if key in spec and not (isinstance(spec[key], str) and _FIELD_NAME.match(spec[key])):
            problems.append(f"{key} harus nama sebuah isian data kasus, bukan {spec[key]!r}")
    return problems


def bound_errors(schema: Mapping[str, Any], data: Mapping[str, Any], context: Mapping[str, Any] | None = None,
                 titles: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(field path, message) for every date or moment of `data` outside its field's bounds; `titles` name
    the fields a bound refers to."""
    known = {**(context or {}), **data}
    found: list[tuple[str, str]] = []
    for name, spec in _properties(schema).items():
        value = data.get(name)
        items = spec.get("items") if spec.get("type") == "array" else None
        if isinstance(items, Mapping) and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    found += [(f"{name}.{i}.{path}", message)
                              for path, message in bound_errors(items, item, {**known, **item}, titles)]
        elif isinstance(value, str):
            message = _outside(spec, value, known, titles or {})
            if message:
                found.append((name, message))
    return found


def hint(spec: Mapping[str, Any], titles: Mapping[str, str] | None = None) -> str:
    """The field's bounds in words for the form: "paling awal 1 tahun yang lalu (17 Maret 2025) · paling
    lambat hari ini (17 Maret 2026)"; "" without bounds."""
    kind = spec.get("format")
    if kind not in ("date", "date-time") or annotation_problems(spec):
        return ""
    parts = []
    for after, label in ((False, "paling awal"), (True, "paling lambat")):
        for limit in _limits(spec, kind, after, None, titles or {}):
            parts.append(f"{label} {limit.words}")
    return " · ".join(parts)


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    props = schema.get("properties")
    return {n: s for n, s in props.items() if isinstance(s, Mapping)} if isinstance(props, Mapping) else {}


def _outside(spec: Mapping[str, Any], text: str, known: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    kind = spec.get("format")
    if kind not in ("date", "date-time") or annotation_problems(spec):
        return ""
    value = _parse(text, kind)
    if value is None:
        return ""  # not a date at all: the format check says so
    for after in (False, True):
        for limit in _limits(spec, kind, after, known, titles):
            if _beyond(value, limit.value, after):
                return f"tidak boleh {'setelah' if after else 'sebelum'} {limit.words}"
    return ""


def _limits(spec: Mapping[str, Any], kind: str, after: bool, known: Mapping[str, Any] | None,
            titles: Mapping[str, str]) -> list[_Limit]:
    """The field's bounds on one side; without `known` (a hint on an empty form) a field bound by its name only."""
    out = []
    relative = spec.get(NOT_AFTER if after else NOT_BEFORE)
    if isinstance(relative, str):
        out.append(_from_now(relative, kind, after))
    other = spec.get(NOT_AFTER_FIELD if after else NOT_BEFORE_FIELD)
    if isinstance(other, str):
        title = titles.get(other) or other.replace("_", " ")
        title = title[:1].lower() + title[1:]  # inside a sentence: "tidak boleh sebelum tanggal musyawarah RT"
        given = known.get(other) if known is not None else None
        parsed = _parse(given, "date-time" if "T" in given else "date") if isinstance(given, str) else None
        if parsed is not None:
            out.append(_Limit(parsed, f"{title} ({_shown(parsed)})"))
        elif known is None:
            out.append(_Limit(date.min, title))
    return out


def _from_now(relative: str, kind: str, after: bool) -> _Limit:
    moment = now()
    if relative == "now":
        if kind == "date":
            today = moment.astimezone(_WIT if after else _WIB).date()
            return _Limit(today, f"hari ini ({_shown(today)})")
        return _Limit(moment + _GRACE if after else moment - _GRACE, f"saat ini ({_shown(moment.astimezone(_WIB))})")
    shifted, words = _shift(moment, relative, 1 if after else -1)
    words = f"{words} {'dari sekarang' if after else 'yang lalu'}"
    if kind == "date":
        day = shifted.astimezone(_WIT if after else _WIB).date()
        return _Limit(day, f"{words} ({_shown(day)})")
    return _Limit(shifted, f"{words} ({_shown(shifted.astimezone(_WIB))})")


def _shift(moment: datetime, duration: str, sign: int) -> tuple[datetime, str]:
    found = _DURATION.match(duration)
    assert found is not None  # annotation_problems refused anything else
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in found.groups())
    total = moment.year * 12 + moment.month - 1 + sign * (years * 12 + months)
    year, month = divmod(total, 12)
    year = min(max(year, 1), 9999)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    shifted = moment.replace(year=year, month=month + 1, day=day)
    shifted += sign * timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    counts = (years, months, weeks, days, hours, minutes)
    return shifted, " ".join(f"{n} {unit}" for n, unit in zip(counts, _UNITS, strict=True) if n)


def _parse(text: str, kind: str) -> date | datetime | None:
    try:
        if kind == "date":
            return date.fromisoformat(text) if len(text) == 10 else None
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _beyond(value: date | datetime, limit: date | datetime, after: bool) -> bool:
    """Whether `value` lies past `limit` (after it, or before it); a date meets a moment on the moment's own day."""
    if isinstance(value, datetime) != isinstance(limit, datetime):
        value, limit = (v.date() if isinstance(v, datetime) else v for v in (value, limit))
    return value > limit if after else value < limit


def _shown(value: date | datetime) -> str:
    text = f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    if isinstance(value, datetime):
        offset = value.utcoffset() or timedelta(0)
        zone = {7: "WIB", 8: "WITA", 9: "WIT"}.get(int(offset.total_seconds() // 3600), value.strftime("%z"))
        return f"{text} {value:%H:%M} {zone}"
    return text
