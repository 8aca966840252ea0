"""Moments as the answers write them: shared by services (tracking, outbox) and presenters, owned by neither."""

from __future__ import annotations

from datetime import datetime

from api import zones

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def is_late(due: datetime | None, moment: datetime) -> bool:
    return due is not None and due < moment


def spoken(moment: datetime, zone: str = zones.DEFAULT_ZONE, *, with_time: bool = True) -> str:
    """A moment as people read it, on the clock of `zone` (an IANA name): '7 Des 2026 16:00 WIB'.

    One wording for the pages and for the sentences services write (a migration's recomputed timers).
    """
    shown = zones.local(moment, zone)
    text = f"{shown.day} {_MONTHS[shown.month - 1]} {shown.year}"
    return f"{text} {shown:%H:%M} {zones.abbreviation(zone)}" if with_time else text
