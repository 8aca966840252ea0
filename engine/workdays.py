"""Working days of Indonesian government offices.

A working day is Monday to Friday that is neither a national holiday (`holidays`
category `public`) nor *cuti bersama* (category `government`), nor a local extra
holiday kept as data (a regency anniversary, a revised joint decree). A due moment
is the end of the office day in the office's own zone (WIB, WITA, WIT).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

DEFAULT_TZ = "Asia/Jakarta"
OFFICE_DAY_END = time(16, 0)


@dataclass(frozen=True)
class ExtraHoliday:
    day: date
    name: str
    region: str = ""  # a region-path prefix; empty means everywhere

    def applies_to(self, region: str | None) -> bool:
        return not self.region or (region or "").startswith(self.region)


@dataclass
class WorkCalendar:
    """National holidays plus local extras; answers working-day questions."""

    extras: list[ExtraHoliday] = field(default_factory=list)
    office_day_end: time = OFFICE_DAY_END

    @classmethod
    def from_file(cls, path: Path | None) -> WorkCalendar:
        """Read local extra holidays: `[{"tanggal": "2026-11-18", "nama": ..., "wilayah": "33.13"}]`."""
        if path is None or not path.exists():
            return cls()
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            extras = [
                ExtraHoliday(date.fromisoformat(row["tanggal"]), row.get("nama", ""), row.get("wilayah", ""))
                for row in rows
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: daftar hari libur tidak valid: {exc}") from exc
        return cls(extras)

    def is_working_day(self, day: date, region: str | None = None) -> bool:
        if day.weekday() >= 5:
            return False
        if day in _national_holidays(day.year):
            return False
        return not any(extra.day == day and extra.applies_to(region) for extra in self.extras)

    def add_working_days(self, start: date, n: int, region: str | None = None) -> date:
        """The n-th working day after `start` (n=0: `start` itself if it is one, else the next)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        if n == 0:
            while not self.is_working_day(day, region):
                day += timedelta(days=1)
            return day
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day, region):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date, region: str | None = None) -> int:
        """Working days after `a` up to and including `b` (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a, region)
        return sum(
            1 for offset in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=offset), region)
        )

    def end_of_office_day(self, day: date, tz: str | tzinfo = DEFAULT_TZ) -> datetime:
        return datetime.combine(day, self.office_day_end, tzinfo=zone(tz))


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> frozenset[date]:
    found = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return frozenset(found.keys())


@lru_cache(maxsize=32)
def _named_zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def zone(tz: str | tzinfo) -> tzinfo:
    """A zone from an IANA name ("Asia/Makassar"), a fixed offset ("+08:00") or a tzinfo."""
    if not isinstance(tz, str):
        return tz
    if tz[:1] in "+-" and ":" in tz:
        sign = -1 if tz[0] == "-" else 1
        hours, minutes = tz[1:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return _named_zone(tz)


def local_date(value: str | date | datetime, tz: str | tzinfo = DEFAULT_TZ) -> date:
    """The calendar day of `value` in the office's zone (a plain date is taken as it is)."""
    if isinstance(value, str):
        value = parse_moment_or_date(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(zone(tz)).date()
    return value


def parse_moment_or_date(text: str) -> date | datetime:
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_moment(text: str | datetime) -> datetime:
    """An ISO moment with its offset; a moment without one is refused (ambiguous)."""
    moment = text if isinstance(text, datetime) else datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"waktu tanpa zona waktu: {text!r} (tulis misalnya +07:00)")
    return moment
