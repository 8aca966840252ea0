"""Messages between instances, and batch steps that decide on what waits for them.

An instance waiting at a message catch (a receive task or catch event with the
property `correlationField`) has a row in `waiting_messages`, rewritten with its state
on every save. A message another instance sends is delivered to the instances waiting
for that message name whose correlation value equals the payload's value under the
same key (`recipients`); `instances.save` does the delivery in the sender's
transaction, so a decision reaches every proposal it names or, if anything fails,
none of them and nothing is stored.

A batch step is a user task with the property `batchOf` = `<process>.<catch element>`:
its form's list field (`batchField`) is filled with one row per instance waiting
there in the step's region whose `batchMatch` fields equal the step's data, ranked by
`batchScore` (highest first) with ranks 1..n in `batchRank`. At completion every row
must still name a waiting instance, once, and ranks must be unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from sqlalchemy import bindparam

from api.db import db
from api.errors import invalid
from api.models import ACTIVE_STATUSES, Instance, WaitingMessageRow
from api.regions import sql_contains
from api.services import case_links
from api.services.tracking import normalize
from engine import OutgoingMessage, TaskInfo, WaitingMessage, now

BATCH_OF, BATCH_FIELD, BATCH_MATCH = "batchOf", "batchField", "batchMatch"
BATCH_SCORE, BATCH_RANK = "batchScore", "batchRank"


# Built once: they run on every save.
_WAITS_OF_INSTANCE = db.select(WaitingMessageRow).where(WaitingMessageRow.instance_id == bindparam("instance_id"))
_WAITS = WaitingMessageRow.__table__
_DROP_WAITS_OF_INSTANCE = _WAITS.delete().where(_WAITS.c.instance_id == bindparam("instance_id"))


def sync_waits(instance: Instance, waits: list[WaitingMessage]) -> None:
    """Make the instance's waiting_messages rows match what the engine says it waits for.

    Most saves wait for no message: then one DELETE on the connection is all, with no rows
    read into the session (which cost more than the statement). Otherwise the rows are read
    without autoflush: the save's other changes (state, pending rows, audit) are not this
    query's business, and flushing them here made a completion flush twice; they go out in
    the one flush of the commit, where a stale instance is told apart.
    """
    wanted = {(w.element, w.name, w.correlation): w for w in waits} if instance.status in ACTIVE_STATUSES else {}
    unflushed = _unflushed_waits(instance.id)
    if not wanted and not unflushed:
        db.session.connection().execute(_DROP_WAITS_OF_INSTANCE, {"instance_id": instance.id})
        return
    with db.session.no_autoflush:
        stored = list(db.session.execute(_WAITS_OF_INSTANCE, {"instance_id": instance.id}).scalars())
    existing = {(r.element, r.name, r.correlation_value): r for r in [*stored, *unflushed]
                if r not in db.session.deleted}
    for key, row in existing.items():
        if key not in wanted:
            if row in db.session.new:
                db.session.expunge(row)
            else:
                db.session.delete(row)
    for key, wait in wanted.items():
        row = existing.get(key)
        if row is None:
            row = WaitingMessageRow(instance_id=instance.id, since=now())
            db.session.add(row)
        row.process_id, row.element, row.name = instance.process_id, wait.element, wait.name
        row.title = wait.title[:300]
        row.correlation_key, row.correlation_value = wait.correlation_field, wait.correlation
        row.region, row.fields = instance.region, _json_safe(wait.fields)


def _unflushed_waits(instance_id: int) -> list[WaitingMessageRow]:
    """The instance's wait rows added or deleted through the session and not flushed yet (an instance
    a message chain saves twice). A DELETE beside them would make the flush miss its row, so such a
    save takes the session's way, counting them as what they will be."""
    return [row for row in (*db.session.new, *db.session.deleted)
            if isinstance(row, WaitingMessageRow) and row.instance_id == instance_id]


def recipients(message: OutgoingMessage, sender_id: int) -> list[WaitingMessageRow]:
    """The rows waiting for this message: same name, and the payload carries their correlation value."""
    payload = message.payload if isinstance(message.payload, Mapping) else {}
    values = {str(v) for v in payload.values() if isinstance(v, str | int) and not isinstance(v, bool)}
    if not values:
        return []
    rows = db.session.execute(
        db.select(WaitingMessageRow)
        .where(WaitingMessageRow.name == message.name, WaitingMessageRow.correlation_value.in_(sorted(values)),
               WaitingMessageRow.instance_id != sender_id)
        .order_by(WaitingMessageRow.instance_id)  # one lock order for every sender: no deadlock between two
    ).scalars().all()
    return [r for r in rows if r.correlation_key and str(payload.get(r.correlation_key)) == r.correlation_value]


# -- batch steps ----------------------------------------------------------------------


def is_batch(info: TaskInfo | None) -> TypeGuard[TaskInfo]:
    return bool(info and info.properties.get(BATCH_OF) and info.properties.get(BATCH_FIELD))


def batch_rows(instance: Instance, info: TaskInfo, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a batch step decides on now, ranked: what waits at `batchOf` in the step's region whose
    `batchMatch` fields equal those of `context` (the batch step's instance data)."""
    props = info.properties
    process_id, _, element = props[BATCH_OF].partition(".")
    match = [f.strip() for f in props.get(BATCH_MATCH, "").split(",") if f.strip()]
    score, rank = props.get(BATCH_SCORE), props.get(BATCH_RANK)
    allowed = _row_properties(info, props[BATCH_FIELD])
    waiting = db.session.execute(
        db.select(WaitingMessageRow)
        .where(WaitingMessageRow.process_id == process_id, WaitingMessageRow.element == element,
               sql_contains(WaitingMessageRow.region, instance.region),
               WaitingMessageRow.correlation_value.is_not(None))
        .order_by(WaitingMessageRow.since, WaitingMessageRow.id)
    ).scalars().all()
    rows = []
    for wait in waiting:
        if any(wait.fields.get(f) != context.get(f) for f in match):
            continue
        row = {wait.correlation_key: wait.correlation_value}
        row.update({k: v for k, v in wait.fields.items() if v is not None and (allowed is None or k in allowed)})
        rows.append(row)
    if score:
        rows.sort(key=lambda r: -r[score] if isinstance(r.get(score), int | float) else float("inf"))
    if rank:
        for number, row in enumerate(rows, start=1):
            row[rank] = number
    return rows


def check_batch(instance: Instance, info: TaskInfo, context: Mapping[str, Any],
                data: Mapping[str, Any]) -> dict[str, Any]:
    """The submission with each row's read-only columns taken from what waits, not from the client.

    Refuses (422, naming row and field) a row that names nothing waiting, twice, or shares a rank. The
    columns the rows show from the proposals (title, location, cost, ...: `readOnly` in the form or
    `ui:readonly` in its UI schema) are the proposals' data: whatever the client sent there is replaced
    by the waiting instance's value, so only the decision columns come from the person deciding.
    """
    props = info.properties
    field = props[BATCH_FIELD]
    rows = data.get(field)
    if not isinstance(rows, list):
        return dict(data)  # the form's own check names the missing list
    # A row is keyed by its wait's correlation key, which a wait without `correlationField` lacks (None).
    waiting: list[dict[Any, Any]] = batch_rows(instance, info, context)
    key = correlation_key(info)
    by_code = {r.get(key): r for r in waiting}
    open_codes = set(by_code)
    rank = props.get(BATCH_RANK)
    links = case_links.row_link_fields(info.form).get(field, [])
    errors: list[dict[str, str]] = []
    seen: set[Any] = set()
    ranks: dict[Any, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        where = f"{field}.{index}"
        code = row.get(key) if key else None
        if code not in open_codes:
            errors.append({"field": f"{where}.{key or 'kode'}",
                           "message": f"baris {index + 1}: {code} tidak sedang menunggu keputusan forum ini"})
        elif code in seen:
            errors.append({"field": f"{where}.{key}", "message": f"baris {index + 1}: {code} tercantum dua kali"})
        seen.add(code)
        # The code exists (checked with the form's links), but a proposal cannot be merged into itself.
        for link in links:
            if isinstance(row.get(link), str) and isinstance(code, str) and normalize(row[link]) == normalize(code):
                errors.append({"field": f"{where}.{link}",
                               "message": f"baris {index + 1}: kode lacak {code} milik usulan baris ini sendiri"})
        if rank and row.get(rank) is not None:
            if row[rank] in ranks:
                errors.append({"field": f"{where}.{rank}",
                               "message": f"baris {index + 1}: peringkat {row[rank]} sudah dipakai baris "
                                          f"{ranks[row[rank]] + 1}; peringkat harus unik"})
            ranks.setdefault(row[rank], index)
    if errors:
        raise invalid(errors)
    shown = _read_only_columns(info, field) - {key}
    trusted = []
    for row in rows:
        if isinstance(row, Mapping):
            source = by_code[row.get(key)]
            row = {k: v for k, v in row.items() if k not in shown}
            row.update({k: source[k] for k in shown if k in source})
        trusted.append(row)
    return {**data, field: trusted}


def correlation_key(info: TaskInfo) -> str | None:
    """The key naming each row's waiting instance: the `correlationField` of the catch it waits at."""
    process_id, _, element = info.properties[BATCH_OF].partition(".")
    return db.session.execute(
        db.select(WaitingMessageRow.correlation_key)
        .where(WaitingMessageRow.process_id == process_id, WaitingMessageRow.element == element,
               WaitingMessageRow.correlation_key.is_not(None)).limit(1)
    ).scalar()


def _row_properties(info: TaskInfo, field: str) -> set[str] | None:
    schema = info.form.schema if info.form else {}
    items = schema.get("properties", {}).get(field, {}).get("items", {})
    props = items.get("properties") if isinstance(items, Mapping) else None
    return set(props) if isinstance(props, Mapping) else None


def _read_only_columns(info: TaskInfo, field: str) -> set[str]:
    """The row columns a person may see but not set: `readOnly` in the schema or `ui:readonly` in the UI schema."""
    if info.form is None:
        return set()
    items = info.form.schema.get("properties", {}).get(field, {}).get("items", {})
    props = items.get("properties", {}) if isinstance(items, Mapping) else {}
    ui = (info.form.ui_schema or {}).get(field, {})
    ui_items = ui.get("items", {}) if isinstance(ui, Mapping) else {}
    return {name for name, spec in props.items()
            if (isinstance(spec, Mapping) and spec.get("readOnly"))
            or (isinstance(ui_items.get(name), Mapping) and ui_items[name].get("ui:readonly"))}


def _json_safe(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v)
            for k, v in fields.items()}
