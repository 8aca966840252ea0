"""The inbox as one indexed query on pending_tasks, and one task opened for its page or API answer.

Shared by the JSON routes and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_

from api.auth import Principal
from api.db import db
from api.errors import invalid
from api.models import Instance, PendingTask
from api.regions import contains, is_valid_path, sql_contains
from api.services import instances, messages, privacy, search
from api.services.versions import VersionRef, runtime
from engine import InstanceView, TaskInfo

# Built inbox statements by what decides their text (grants, units, filters): building one costs about as
# much as running it, and the same statement object also spares SQLAlchemy its cache-key work. Only the
# statement is kept, never a result; bounded, so many different searches cannot grow it without end.
_BUILT: dict[tuple[Any, ...], Any] = {}
_BUILT_LIMIT = 512


def inbox_query(principal: Principal, args: dict[str, Any], wide: bool = False):
    """The inbox statement for these grants and filters (see `_build_inbox_query`), built once and reused."""
    units = tuple(sorted((k, None if v is None else tuple(sorted(v))) for k, v in principal.units.items()))
    key = (wide, tuple(principal.grants), units,
           args.get("role"), args.get("region"), args.get("process"), args.get("claimed"),
           principal.user.id if args.get("mine") else None, args.get("due_before"), args.get("q"))
    query = _BUILT.get(key)
    if query is None:
        query = _build_inbox_query(principal, args, wide)
        if len(_BUILT) >= _BUILT_LIMIT:
            _BUILT.clear()
        _BUILT[key] = query
    return query


def _build_inbox_query(principal: Principal, args: dict[str, Any], wide: bool):
    """One indexed query on pending_tasks: (lane = role AND region within prefix [AND unit]) for each grant.

    A unit grant adds `(unit IS NULL OR unit IN <its units and the units below them>)`: a task
    routed to a unit is seen by the lane's holders in that unit or a unit above it, a task routed to
    none by every holder. The unit set was expanded at login (`Principal.units`), so no instance
    and no unit row is read here.

    `wide` plans the same rows for a grant that matches most of a lane (a whole regency):
    the region test is wrapped so no region index is used, and the database walks the
    (lane, due) index in page order instead of sorting every matching row.
    """
    region_column = func.coalesce(PendingTask.region, "") if wide else PendingTask.region
    grants = principal.grants
    if args.get("role"):
        grants = [(r, p) for r, p in grants if r == args["role"]]
    region = args.get("region")
    if region is not None and not is_valid_path(region):
        raise invalid([{"field": "region", "message": "kode wilayah tidak sah"}])
    conditions = []
    for role, prefix in grants:
        # A region filter narrows a grant only where it lies inside it.
        scope = prefix
        if region:
            if contains(prefix, region):
                scope = region
            elif not contains(region, prefix):
                continue
        condition = and_(PendingTask.lane == role, sql_contains(region_column, scope))
        units = principal.unit_scope(role, prefix)
        if units is not None:
            condition = and_(condition, or_(PendingTask.unit.is_(None), PendingTask.unit.in_(sorted(units))))
        conditions.append(condition)
    query = db.select(PendingTask).where(or_(*conditions) if conditions else false())
    if args.get("process"):
        query = query.where(PendingTask.process_id == args["process"])
    if args.get("claimed") is True:
        query = query.where(PendingTask.claimed_by_id.is_not(None))
    elif args.get("claimed") is False:
        query = query.where(PendingTask.claimed_by_id.is_(None))
    if args.get("mine"):
        query = query.where(PendingTask.claimed_by_id == principal.user.id)
    if args.get("due_before"):
        query = query.where(PendingTask.due_at < args["due_before"])
    found = search.matching(args.get("q"), PendingTask.instance_id)
    if found is not None:
        query = query.where(found)
    # Tasks without a due moment come last; ties by age, then id for a stable order across pages.
    return query.order_by(PendingTask.sort_key, PendingTask.id)


@dataclass(frozen=True)
class OpenedTask:
    """A pending task the user may see, with its instance, version, engine view and redacted data."""

    row: PendingTask
    instance: Instance
    ref: VersionRef
    view: InstanceView
    info: TaskInfo | None
    data: dict[str, Any]


def open_task(principal: Principal, task_id: str) -> OpenedTask:
    """404 unless the user holds the task's lane within its region (see `instances.visible_task`)."""
    row = instances.visible_task(principal, task_id)
    instance = db.session.get_one(Instance, row.instance_id)  # a pending row's instance exists (foreign key)
    ref = runtime().by_row(instance.version_id)
    view = runtime().engine.inspect(ref.version, instance.state)
    data = privacy.redact(view.data, instance, ref.version, principal)
    info = ref.version.tasks.get(row.name)
    if messages.is_batch(info) and not data.get(info.properties[messages.BATCH_FIELD]):
        # A batch step opens with what waits for its decision now, ranked (api/services/messages.py).
        data[info.properties[messages.BATCH_FIELD]] = messages.batch_rows(instance, info, view.data)
    return OpenedTask(row, instance, ref, view, info, data)
