"""Starts that must not repeat: a start event's `uniqueStart` names the data fields no two cases of the
process may share (one musyawarah per desa/kelurahan and RKPD year: `wilayah,tahun_rkpd`).

Open and finished cases count; a cancelled one does not (its row is dropped with the cancellation).
With `uniqueStartWhile` = "open" only open cases count: the row is dropped in the transaction that
finishes the case, so a second forum of the same desa and year may follow the first (a *susulan* forum)
but never run beside it. The row is written in the start's transaction under a unique constraint, so two
starts racing make one case and the other is refused like any repeat. Which fields count, and for how
long, is the diagram's business.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.exc import IntegrityError

from api.db import db
from api.errors import ApiError
from api.models import Instance, UniqueStart
from engine import ProcessVersion
from engine.registry import UNIQUE_START, UNIQUE_START_WHILE, WHILE_OPEN

PROPERTY, WHILE = UNIQUE_START, UNIQUE_START_WHILE


def fields_of(version: ProcessVersion) -> list[str]:
    return [f.strip() for f in version.start.properties.get(PROPERTY, "").split(",") if f.strip()]


def only_while_open(version: ProcessVersion) -> bool:
    return bool(fields_of(version)) and version.start.properties.get(WHILE, "").strip() == WHILE_OPEN


def key_of(version: ProcessVersion, data: dict[str, Any]) -> str | None:
    """The digest of the unique fields' values in `data`; None when the process declares none."""
    fields = fields_of(version)
    if not fields:
        return None
    values = json.dumps([data.get(f) for f in fields], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(values.encode()).hexdigest()


def check(version: ProcessVersion, data: dict[str, Any]) -> None:
    """409 naming each unique field and the case that already holds these values."""
    key = key_of(version, data)
    if key is None:
        return
    holder = db.session.execute(
        db.select(Instance).join(UniqueStart, UniqueStart.instance_id == Instance.id)
        .where(UniqueStart.process_id == version.process_id, UniqueStart.key == key)
    ).scalar_one_or_none()
    if holder is not None:
        raise repeated(version, data, holder.tracking_code)


def hold(version: ProcessVersion, data: dict[str, Any], instance: Instance) -> None:
    """Write the row for a new case in the caller's transaction; a start that raced ahead refuses this one."""
    key = key_of(version, data)
    if key is None:
        return
    db.session.add(UniqueStart(process_id=version.process_id, key=key, instance_id=instance.id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise repeated(version, data, None) from None


def release(instance: Instance) -> None:
    """A cancelled case no longer holds its values: the forum may be held again."""
    release_all([instance.id])


def release_all(instance_ids: list[int]) -> None:
    if instance_ids:
        db.session.execute(db.delete(UniqueStart).where(UniqueStart.instance_id.in_(instance_ids)))


def finished(version: ProcessVersion, instance_ids: list[int]) -> None:
    """Finished cases of `version` give their values up when its start holds them only while open."""
    if only_while_open(version):
        release_all(instance_ids)


def repeated(version: ProcessVersion, data: dict[str, Any], code: str | None) -> ApiError:
    fields = fields_of(version)
    props = version.start.form.schema.get("properties", {}) if version.start.form else {}
    named = ", ".join(f"{props.get(f, {}).get('title', f)} {data.get(f)}" for f in fields)
    which = f" ({code})" if code else ""
    if only_while_open(version):
        message = (f"kasus {version.name} untuk {named}{which} masih berjalan; "
                   "yang berikutnya dapat dimulai setelah kasus itu selesai")
    else:
        message = f"sudah ada kasus {version.name} untuk {named}{which}; tidak boleh dimulai dua kali"
    return ApiError(409, "duplicate_start", message, [{"field": f, "message": message} for f in fields])
