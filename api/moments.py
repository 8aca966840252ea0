"""Moments as the answers write them: shared by services (tracking, outbox) and presenters, owned by neither."""

from __future__ import annotations

from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def is_late(due: datetime | None, moment: datetime) -> bool:
    return due is not None and due < moment
