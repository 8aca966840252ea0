"""How rows look in JSON answers (one place, so inbox, admin and tracking agree).

Presenters read models and what services return (`api.results`), never a service: routes call the
service, then present its result (tests/api/test_layers.py holds the direction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Select, any_, bindparam, func, literal_column, type_coerce

from api.db import db, is_postgres
from api.models import Instance, PendingTask, User
from api.moments import is_late, iso
from api.results import Completion, Inspection, VersionRef
from engine import FormRef, InstanceView

COUNT_LIMIT = 1_000  # nobody pages through more; filters narrow a larger inbox


def form_json(form: FormRef | None) -> dict[str, Any] | None:
    if form is None:
        return None
    return {"file": form.schema_file, "schema": form.schema, "ui_schema": form.ui_schema}


def usernames(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(db.select(User.id, User.username).where(User.id.in_(wanted))).all()
    return dict(rows)


# What task_item reads: an inbox page selects only these (no sort key, no form file). The two moments are
# read as the naive UTC the column stores, without making each of 400 values aware: task_items writes the
# zone itself (the same text as isoformat() of the aware value) and compares with the naive UTC moment.
TASK_ITEM_COLUMNS = (PendingTask.id, PendingTask.instance_id, PendingTask.process_id, PendingTask.name,
                     PendingTask.title, PendingTask.instance_title, PendingTask.lane, PendingTask.region,
                     PendingTask.unit, type_coerce(PendingTask.due_at, DateTime()).label("due_at"),
                     PendingTask.claimed_by_id, type_coerce(PendingTask.created_at, DateTime()).label("created_at"))


def task_item(row: PendingTask, moment: datetime, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "process_id": row.process_id,
        "name": row.name,
        "title": row.title,
        "instance_title": row.instance_title,
        "lane": row.lane,
        "region": row.region,
        "unit": row.unit,
        "due_at": iso(row.due_at),
        "late": is_late(row.due_at, moment),
        "claimed_by": names.get(row.claimed_by_id) if row.claimed_by_id else None,
        "created_at": iso(row.created_at),
    }


def task_items(rows: list[Any], moment: datetime, names: dict[int, str]) -> list[dict[str, Any]]:
    """task_item for rows of TASK_ITEM_COLUMNS (moments naive UTC), unpacked as tuples: an inbox page's hot loop."""
    naive_moment = moment.astimezone(UTC).replace(tzinfo=None)
    items = []
    for (task_id, instance_id, process_id, name, title, instance_title, lane, region, unit, due_at, claimed_by_id,
         created_at) in rows:
        items.append({
            "id": task_id, "instance_id": instance_id, "process_id": process_id, "name": name, "title": title,
            "instance_title": instance_title, "lane": lane, "region": region, "unit": unit,
            "due_at": due_at.isoformat() + "+00:00" if due_at is not None else None,
            "late": due_at is not None and due_at < naive_moment,
            "claimed_by": names.get(claimed_by_id) if claimed_by_id else None,
            "created_at": created_at.isoformat() + "+00:00",
        })
    return items


def instance_summary(instance: Instance, ref: VersionRef | None, moment: datetime) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process_id": instance.process_id,
        "version": ref.number if ref else None,
        "version_hash": ref.version.hash if ref else None,
        "status": instance.status,
        "tracking_code": instance.tracking_code,
        "region": instance.region,
        "title": instance.title,
        "started_by": instance.started_by_name,
        "created_at": iso(instance.created_at),
        "updated_at": iso(instance.updated_at),
        "finished_at": iso(instance.finished_at),
        "next_timer_at": iso(instance.next_timer_at),
        "due_at": iso(instance.due_at),
        "late": is_late(instance.due_at, moment),
        "anonymous": instance.anonymous,
        "confidential": instance.confidential,
    }


def completion(done: Completion, moment: datetime) -> dict[str, Any]:
    """The answer to a completed task: the instance and the next tasks its completer may act on."""
    return {"instance": instance_summary(done.instance, done.ref, moment),
            "next_tasks": [task_item(r, moment, usernames({r.claimed_by_id})) for r in done.next_tasks]}


def inspection_detail(seen: Inspection, moment: datetime) -> dict[str, Any]:
    """Status, version, data, ready/completed tasks, timers, errors, the audit trail and the outbox."""
    names = usernames({r.claimed_by_id for r in seen.tasks})
    body = instance_summary(seen.instance, seen.ref, moment)
    if seen.view is None:  # still show what is stored beside it: the trail says what happened
        body.update(_UNREADABLE, state_problem=seen.state_problem)
    else:
        body.update(_engine_view(seen.view, seen.events), state_problem=None, data=seen.data)
    body.update({
        "tasks": [task_item(r, moment, names) for r in seen.tasks],
        "events": seen.events,
        "links": seen.links,
        "outbox": seen.outbox,
    })
    return body


# What the engine part of `inspection_detail` says when the stored state cannot be loaded.
_UNREADABLE: dict[str, Any] = {"engine_status": "unreadable", "data": {}, "completed": [], "timers": [],
                               "errors": [], "active_elements": []}


def _engine_view(view: InstanceView, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "engine_status": view.status,
        "completed": [{"task_id": s.task_id, "name": s.name, "title": s.title, "lane": s.lane,
                       "finished_at": iso(s.finished), "human": s.human} for s in view.completed],
        "timers": [{"task_id": t.task_id, "name": t.name, "due_at": iso(t.due)} for t in view.timers],
        "errors": [{"task_id": s.task_id, "name": s.name, "title": s.title,
                    "message": _error_message(events, s.task_id)} for s in view.errored],
        "active_elements": view.active_elements,
    }


def _error_message(events: list[dict[str, Any]], task_id: str) -> str | None:
    """What the engine said when this step failed: the newest error event of the task."""
    for event in reversed(events):
        if event["kind"] == "error" and event.get("task_id") == task_id:
            return (event.get("detail") or {}).get("message")
    return None


def _among(key: Any, keys: Any) -> Any:
    """`key IN (keys)`; on PostgreSQL `key = ANY(ARRAY(keys))`.

    PostgreSQL answers the ANY form with one primary-key probe per key; for IN it hashed the keys
    and scanned the whole table (EXPLAIN ANALYZE, a page of 200 of 10,000 tasks: 2.7 vs 4.9 ms).
    """
    if is_postgres():
        return key == any_(func.array(keys))
    return key.in_(keys)


def page(
    query: Select,
    page_number: int,
    per_page: int,
    key: Any = None,
    count_limit: int = COUNT_LIMIT,
    wide_query: Select | Callable[[], Select] | None = None,
    lean: bool | tuple[Any, ...] = False,
) -> tuple[list[Any], dict]:
    """One page of rows and the paging facts.

    With `key` (the primary key column) the page's keys are chosen first, from an index
    that covers filter and order, and only those rows are read: sorting thousands of
    whole rows to keep fifty is what made a regency-wide inbox slow. The total is counted
    up to `count_limit` rows (then `total_capped` is true). When that many rows match,
    `wide_query` (the same rows, planned differently; or a function building it, called
    only then) picks the page instead: walking an index in page order and stopping after
    one page is cheaper than sorting them all.
    `lean` answers plain rows of the table's columns, or of the columns given (read-only,
    attribute access like the model), read through the session's connection without the
    ORM: building and tracking ORM objects was most of a 200-row page's time.
    The count and page statements derived from a query are kept with it (`_derived`), the
    page's limit and offset being parameters, so a query built once (the inbox's) is derived once.
    """
    counted = db.session.execute(_derived(("count", query, count_limit),
                                          lambda: _count_statement(query, count_limit))).scalar() or 0
    source = query
    if wide_query is not None and counted > count_limit:
        source = wide_query if isinstance(wide_query, Select) else wide_query()
    window = _derived(("page", source, query, key, lean), lambda: _page_statement(source, query, key, lean))
    bounds = {"page_limit": per_page, "page_offset": (page_number - 1) * per_page}
    if lean and key is not None:
        rows = list(db.session.connection().execute(window, bounds).all())
    else:
        rows = list(db.session.execute(window, bounds).scalars())
    return rows, {"page": page_number, "per_page": per_page, "total": min(counted, count_limit),
                  "total_capped": counted > count_limit}


# Statements derived from a query, by the identity of the objects they came from (kept in the key, so
# an id is never reused while its entry lives); bounded like the inbox's own statements.
_DERIVED: dict[tuple[int, ...], tuple[tuple[Any, ...], Any]] = {}
_DERIVED_LIMIT = 1024


def _derived(parts: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    key = tuple(id(part) if not isinstance(part, str | int | bool) else part for part in parts)
    found = _DERIVED.get(key)
    if found is not None:
        return found[1]
    statement = build()
    if len(_DERIVED) >= _DERIVED_LIMIT:
        _DERIVED.clear()
    _DERIVED[key] = (parts, statement)
    return statement


def _count_statement(query: Select, count_limit: int) -> Select:
    limited = query.with_only_columns(literal_column("1"), maintain_column_froms=True).order_by(None)
    return db.select(func.count()).select_from(limited.limit(count_limit + 1).subquery())


def _page_statement(source: Select, query: Select, key: Any, lean: bool | tuple[Any, ...]) -> Select:
    window = source.limit(bindparam("page_limit")).offset(bindparam("page_offset"))
    if key is None:
        return window
    # Read only the page's rows by key, in the same order; repeating the filter here
    # would let the planner scan the whole match again.
    keys = window.with_only_columns(key, maintain_column_froms=True).scalar_subquery()
    entity = query.column_descriptions[0]["entity"]
    window = db.select(*(lean if isinstance(lean, tuple) else entity.__table__.columns)) if lean else \
        db.select(entity)
    return window.where(_among(key, keys)).order_by(*query._order_by_clauses)
