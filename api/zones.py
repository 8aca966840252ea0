"""The time zone of a region: data on the regions an admin keeps (`regions.time_zone`), inherited downwards.

A case's moments are read on its office's clock: Tanah Bumbu (63.10) is WITA, Karanganyar (33.13)
WIB. A region without a zone takes the zone of the nearest region above it that has one; a path
the table does not hold (an RT under a desa) is above-searched the same way, segment by segment,
because a kode wilayah grows by level. Nothing found means Asia/Jakarta.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context

from api.db import db
from api.models import Region
from api.regions import SEPARATORS

DEFAULT_ZONE = "Asia/Jakarta"
# Indonesia's three zones; a region may carry only one of them, so every moment has its usual name.
ZONES: dict[str, str] = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
# The fixed offsets a form's zone selector offers (none of the three has summer time).
OFFSETS: dict[str, str] = {"Asia/Jakarta": "+07:00", "Asia/Makassar": "+08:00", "Asia/Jayapura": "+09:00"}


def zone_problem(name: str) -> str | None:
    """Why `name` cannot be a region's zone, or None (empty is allowed: inherit)."""
    if name and name not in ZONES:
        return "salah satu dari " + ", ".join(f"{z} ({a})" for z, a in ZONES.items()) + ", atau kosong (ikut induk)"
    return None


def _table() -> dict[str, str]:
    """Every region that names its zone; read once per request (the admin's change shows on the next one).

    Only a request keeps it: a command or the worker may hold one app context for days.
    """
    if has_request_context() and "alur_zones" in g:
        return g.alur_zones
    table = dict(db.session.execute(
        db.select(Region.code, Region.time_zone).where(Region.time_zone.is_not(None), Region.time_zone != "")).all())
    if has_request_context():
        g.alur_zones = table
    return table


def forget() -> None:
    """After a region's zone changed in this request: read the table again."""
    if has_request_context():
        g.pop("alur_zones", None)


def zone_of(region: str | None) -> str:
    """The IANA zone of a region path: its own, else the nearest region above that has one, else WIB."""
    path = region or ""
    table = _table() if path else {}
    while path:
        if path in table:
            return table[path]
        cut = max(path.rfind(s) for s in SEPARATORS)
        path = path[:cut] if cut > 0 else ""
    return DEFAULT_ZONE


def abbreviation(zone: str) -> str:
    return ZONES.get(zone, zone)


def offset(zone: str) -> str:
    return OFFSETS.get(zone, OFFSETS[DEFAULT_ZONE])


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))
