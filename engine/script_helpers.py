"""Functions diagram scripts may call: working days, office hours, the clock.

Diagram data must stay JSON-native, so every helper takes and returns ISO text
("2026-03-25", "2026-03-25T16:00:00+07:00") rather than date objects.

The helpers run outside the script's traced frames, so the sandbox's time limit
cannot stop them: each bounds its own work (about ten years of days).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable
from datetime import date
from typing import Any

from engine import clock
from engine.sandbox import ScriptBudgetExceeded
from engine.workdays import DEFAULT_TZ, WorkCalendar, local_date, parse_moment, zone

MAX_WORKING_DAYS = 2_600  # about ten years of office days
MAX_SPAN_DAYS = 3_700  # about ten years of calendar days
MAX_MONTHS = 1_200


def make_helpers(work_calendar: WorkCalendar) -> dict[str, Callable[..., Any]]:
    """The helper functions, bound to one working-day calendar."""

    def add_working_days(start: str, n: int, tz: str = DEFAULT_TZ, wilayah: str | None = None) -> str:
        days = _bounded("add_working_days", int(n), MAX_WORKING_DAYS, "hari kerja")
        return work_calendar.add_working_days(local_date(start, tz), days, wilayah).isoformat()

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

    return {
        "add_working_days": add_working_days,
        "on_working_day": on_working_day,
        "working_days_between": working_days_between,
        "end_of_office_day": end_of_office_day,
        "now": now,
        "on_time": on_time,
        "add_months": add_months,
        "hours_between": hours_between,
    }


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
