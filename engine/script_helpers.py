"""Functions diagram scripts may call: working days, office hours, the clock.

Diagram data must stay JSON-native, so every helper takes and returns ISO text
("2026-03-25", "2026-03-25T16:00:00+07:00") rather than date objects.

The helpers run outside the script's traced frames, so the sandbox's time limit
cannot stop them: each bounds its own work (about ten years of days).
"""

from __future__ import annotations

import calendar as _calendar
import copy
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine import clock
from engine.sandbox import ScriptBudgetExceeded, ScriptError
from engine.workdays import DEFAULT_TZ, WorkCalendar, local_date, parse_moment, zone

MAX_WORKING_DAYS = 2_600  # about ten years of office days
MAX_SPAN_DAYS = 3_700  # about ten years of calendar days
MAX_MONTHS = 1_200


def make_helpers(work_calendar: WorkCalendar, data_dir: Path | None = None) -> dict[str, Callable[..., Any]]:
    """The helper functions, bound to one working-day calendar and the folder of data files beside the diagrams."""

    def add_working_days(start: str, n: int, tz: str = DEFAULT_TZ, wilayah: str | None = None) -> str:
        days = _bounded("add_working_days", int(n), MAX_WORKING_DAYS, "hari kerja")
        return work_calendar.add_working_days(local_date(start, tz), days, wilayah).isoformat()

    def add_days(start: str, n: int, tz: str = DEFAULT_TZ) -> str:
        """The calendar date `n` days after the local date of `start` (holidays and weekends count)."""
        days = _bounded("add_days", int(n), MAX_SPAN_DAYS, "hari")
        return (local_date(start, tz) + timedelta(days=days)).isoformat()

    def working_days_between(a: str, b: str, tz: str = DEFAULT_TZ, wilayah: str | None = None) -> int:
        first, last = local_date(a, tz), local_date(b, tz)
        _bounded("working_days_between", (last - first).days, MAX_SPAN_DAYS, "hari")
        return work_calendar.working_days_between(first, last, wilayah)

    def end_of_office_day(day: str, tz: str = DEFAULT_TZ) -> str:
        return work_calendar.end_of_office_day(local_date(day, tz), tz).isoformat()

    def now(tz: str = DEFAULT_TZ) -> str:
        return clock.now().astimezone(zone(tz)).isoformat(timespec="seconds")

    def on_time(due: str, at: str | None = None) -> bool:
        moment = parse_moment(at) if at else clock.now()
        return moment <= parse_moment(due)

    def hours_between(a: str, b: str) -> float:
        """Hours from moment `a` to moment `b` (negative when b is earlier), offsets respected."""
        return round((parse_moment(b) - parse_moment(a)).total_seconds() / 3600, 2)

    def add_months(start: str, n: int, tz: str = DEFAULT_TZ) -> str:
        months = _bounded("add_months", int(n), MAX_MONTHS, "bulan")
        return work_calendar.end_of_office_day(_add_months(local_date(start, tz), months), tz).isoformat()

    def on_working_day(day: str, tz: str = DEFAULT_TZ, wilayah: str | None = None) -> str:
        """The end of the office day of `day`, or of the next working day when `day` is not one."""
        return work_calendar.end_of_office_day(work_calendar.add_working_days(local_date(day, tz), 0, wilayah),
                                               tz).isoformat()

    def data_lookup(name: str, *keys: Any) -> Any:
        """A value from the data file `<name>.json` beside the diagrams (e.g. a yearly calendar), by its keys.

        `data_lookup("kalender_forum", "2027", "kecamatan", "batas")`; a missing file or key gives None.
        """
        if not isinstance(name, str) or not _DATA_NAME.fullmatch(name):
            raise ScriptError(f"data_lookup: nama berkas data tidak sah: {name!r} (huruf kecil, angka, _)")
        value: Any = _read_data(data_dir / f"{name}.json") if data_dir is not None else None
        for key in keys:
            if isinstance(value, dict):
                value = value.get(str(key))
            elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
                value = value[key]
            else:
                return None
        return copy.deepcopy(value)

    return {
        "add_working_days": add_working_days,
        "add_days": add_days,
        "on_working_day": on_working_day,
        "data_lookup": data_lookup,
        "working_days_between": working_days_between,
        "end_of_office_day": end_of_office_day,
        "now": now,
        "on_time": on_time,
        "add_months": add_months,
        "hours_between": hours_between,
    }


_DATA_NAME = re.compile(r"[a-z0-9_]{1,64}")


def data_keys(data_dir: Path | None, name: str) -> list[str] | None:
    """The top-level keys of the data file `<name>.json` (a note under a `_` key is not one); None without it."""
    if data_dir is None or not _DATA_NAME.fullmatch(name):
        return None
    value = _read_data(data_dir / f"{name}.json")
    return [key for key in value if not key.startswith("_")] if isinstance(value, dict) else None


def _read_data(path: Path) -> Any:
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read_data_at(path, stamp)


@lru_cache(maxsize=32)
def _read_data_at(path: Path, stamp: int) -> Any:  # the modification time keys the cache: an edited file is read again
    return json.loads(path.read_text(encoding="utf-8"))


def _bounded(helper: str, amount: int, limit: int, unit: str) -> int:
    if abs(amount) > limit:
        raise ScriptBudgetExceeded(f"{helper}: paling banyak {limit} {unit} (diminta {amount})")
    return amount


def _add_months(day: date, n: int) -> date:
    month_index = day.month - 1 + n
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


HELPER_NAMES = frozenset(make_helpers(WorkCalendar()))
__all__ = ["make_helpers", "HELPER_NAMES"]
