"""Moving running instances to another version of their process, one at a time or as a batch.

The engine decides whether an instance may move (`engine.versions.check_migration`):
nothing it already did may have changed or disappeared. Here each instance is one
unit of work in its own transaction: lock, move, rewrite its pending-task rows and
next timer from the new version (so new forms, lanes and deadlines apply), write a
"migrated" audit event, commit. One refusal or conflict never undoes the others.
Instances that cannot take part (suspended, errored, finished) are reported with
the reason, never dropped silently. An instance the worker's watchdog stopped is the
exception among the errored: its state is sound, so it may move to a corrected
version, and stays failed until an admin runs it again.

A waiting timer is computed again on the target version when an instance moves
(SpiffWorkflow re-predicts every ready and waiting task): a changed expression
applies, and a duration ("P3D") counts again from the moment of the move. Every
due moment that moves is reported, in the dry run and in the migration's event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm.exc import StaleDataError

from api.db import db
from api.errors import ApiError, invalid, not_found
from api.models import STATUS_CANCELLED, STATUS_SUSPENDED, Instance, PendingTask, ProcessVersionRow
from api.moments import spoken
from api.regions import contains, sql_contains
from api.services.admin import stopped_by_watchdog
from api.services.instances import Actor, lock_instance, record, save
from api.services.versions import VersionRef, runtime
from api.zones import DEFAULT_ZONE, zone_of
from engine import (
    ElementChange,
    Engine,
    FlowChange,
    MigrationRefused,
    ProcessVersion,
    StateError,
    check_migration,
    diff_versions,
    migrate,
)

CHUNK = 500  # instances read per query in a dry run
_NOT_MOVABLE = {
    "complete": "kasus sudah selesai; tetap tercatat pada versinya",
    STATUS_CANCELLED: "kasus sudah dibatalkan",
    STATUS_SUSPENDED: "kasus sedang ditangguhkan; lanjutkan dulu, lalu pindahkan",
    "error": "kasus dalam keadaan kesalahan; perbaiki dan jalankan ulang dulu, lalu pindahkan",
}


@dataclass(frozen=True)
class TimerChange:
    """A waiting timer whose due moment is different on the target version (None: none there, or none before)."""

    name: str
    before: datetime | None
    after: datetime | None
    zone: str = DEFAULT_ZONE  # the case's office clock, which the note reads both moments on

    def note(self) -> str:
        def text(moment: datetime | None) -> str:
            return spoken(moment, self.zone) if moment else "tidak ada"

        return f"penanda waktu '{self.name}' dihitung ulang: {text(self.before)} -> {text(self.after)}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "before": self.before.isoformat() if self.before else None,
                "after": self.after.isoformat() if self.after else None}


@dataclass
class InstanceResult:
    instance_id: int
    ok: bool
    outcome: str  # migrated, can_migrate, refused, already_there, conflict, not_found
    status: str | None  # the instance's status (after the move when it moved)
    from_version: int | None
    reasons: list[str] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)  # due moments the move changes (or would)

    @property
    def notes(self) -> list[str]:
        return [t.note() for t in self.timers]

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "ok": self.ok, "outcome": self.outcome, "status": self.status,
                "from_version": self.from_version, "reasons": self.reasons, "notes": self.notes}


@dataclass
class BatchResult:
    process_id: str
    target: VersionRef
    dry_run: bool
    results: list[InstanceResult] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Totals (`total`, `ok`, `not_ok`) and the number of each outcome."""
        counts: dict[str, int] = {"total": len(self.results), "ok": sum(r.ok for r in self.results)}
        counts["not_ok"] = counts["total"] - counts["ok"]
        for r in self.results:
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "process_id": self.process_id,
            "target": {"number": self.target.number, "hash": self.target.version.hash},
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "results": [r.as_dict() for r in self.results],
        }


def target_version(process_id: str, number: int | None) -> VersionRef:
    """The version to move to: the given number, or the current one."""
    ref = runtime().current(process_id) if number is None else runtime().by_number(process_id, number)
    if ref is None:
        raise not_found("versi tujuan" if number is not None else "proses")
    return ref


def select_instances(
    process_id: str,
    *,
    target: VersionRef,
    from_version: int | None = None,
    statuses: Iterable[str] | None = None,
    prefixes: list[str] | None = None,
) -> list[int]:
    """Ids of the process's instances not on `target`, filtered by version number, status and region prefixes."""
    query = db.select(Instance.id).where(Instance.process_id == process_id, Instance.version_id != target.row_id)
    if from_version is not None:
        row_id = db.session.execute(
            db.select(ProcessVersionRow.id).filter_by(process_id=process_id, number=from_version)
        ).scalar_one_or_none()
        if row_id is None:
            raise invalid([{"field": "from_version", "message": f"versi {from_version} tidak ada"}])
        query = query.where(Instance.version_id == row_id)
    if statuses:
        query = query.where(Instance.status.in_(list(statuses)))
    if prefixes is not None:
        if not prefixes:  # no region at all; an empty OR would match every row
            return []
        query = query.where(or_(*[sql_contains(Instance.region, p) for p in prefixes]))
    return list(db.session.execute(query.order_by(Instance.id)).scalars())


def _precheck(instance: Instance | None, instance_id: int, process_id: str, target: VersionRef,
              prefixes: list[str] | None) -> InstanceResult | None:
    """A result for an instance the engine need not be asked about; None when it must be."""
    if instance is None or (prefixes is not None and not any(contains(p, instance.region) for p in prefixes)):
        return InstanceResult(instance_id, False, "not_found", None, None, ["kasus tidak ditemukan"])
    source_number = runtime().by_row(instance.version_id).number
    if instance.process_id != process_id:
        return InstanceResult(instance_id, False, "refused", instance.status, source_number,
                              [f"kasus milik proses {instance.process_id}, bukan {process_id}"])
    if instance.version_id == target.row_id:
        return InstanceResult(instance_id, True, "already_there", instance.status, source_number,
                              [f"sudah pada v{target.number}"])
    if instance.status in _NOT_MOVABLE and not stopped_by_watchdog(instance):
        return InstanceResult(instance_id, False, "refused", instance.status, source_number,
                              [_NOT_MOVABLE[instance.status]])
    return None


def dry_run(process_id: str, instance_ids: list[int], target: VersionRef,
            prefixes: list[str] | None = None) -> BatchResult:
    """Whether each instance could move to `target`, and why not; changes nothing."""
    batch = BatchResult(process_id, target, dry_run=True)
    engine = runtime().engine
    for start in range(0, len(instance_ids), CHUNK):
        chunk = instance_ids[start:start + CHUNK]
        found = {i.id: i for i in db.session.execute(db.select(Instance).where(Instance.id.in_(chunk))).scalars()}
        for instance_id in chunk:
            instance = found.get(instance_id)
            early = _precheck(instance, instance_id, process_id, target, prefixes)
            if early is not None:
                batch.results.append(early)
                continue
            assert instance is not None  # _precheck answers for a missing one
            source = runtime().by_row(instance.version_id)
            timers: list[TimerChange] = []
            try:
                check = check_migration(engine, source.version, target.version, instance.state)
                reasons, ok = check.reasons, check.ok
                if ok and instance.next_timer_at is not None:
                    moved = migrate(engine, source.version, target.version, instance.state)  # not stored
                    timers = timer_changes(engine, source.version, instance.state, target.version, moved.state,
                                           zone_of(instance.region))
            except MigrationRefused as exc:
                reasons, ok = exc.reasons, False
            except StateError:
                reasons, ok = ["keadaan kasus tersimpan tidak dapat dibaca"], False
            batch.results.append(InstanceResult(instance_id, ok, "can_migrate" if ok else "refused",
                                                instance.status, source.number, reasons, timers))
        db.session.rollback()  # read only; also lets the identity map go
    return batch


def migrate_instances(process_id: str, instance_ids: list[int], target: VersionRef, actor: Actor,
                      prefixes: list[str] | None = None) -> BatchResult:
    """Move each instance to `target` in its own transaction; the result says what happened to each."""
    batch = BatchResult(process_id, target, dry_run=False)
    for instance_id in instance_ids:
        batch.results.append(migrate_one(process_id, instance_id, target, actor, prefixes))
    return batch


def migrate_one(process_id: str, instance_id: int, target: VersionRef, actor: Actor,
                prefixes: list[str] | None = None) -> InstanceResult:
    """Lock, move, save (pending rows, next timer), audit, commit; or roll back and say why not."""
    instance = lock_instance(instance_id)
    early = _precheck(instance, instance_id, process_id, target, prefixes)
    if early is not None:
        db.session.rollback()
        return early
    assert instance is not None  # _precheck answers for a missing one
    source = runtime().by_row(instance.version_id)
    try:
        result = migrate(runtime().engine, source.version, target.version, instance.state)
    except MigrationRefused as exc:
        db.session.rollback()
        return InstanceResult(instance_id, False, "refused", instance.status, source.number, exc.reasons)
    except StateError:
        db.session.rollback()
        return InstanceResult(instance_id, False, "refused", instance.status, source.number,
                              ["keadaan kasus tersimpan tidak dapat dibaca"])
    timers = (timer_changes(runtime().engine, source.version, instance.state, target.version, result.state,
                            zone_of(instance.region))
              if instance.next_timer_at is not None or result.next_timer is not None else [])
    lanes_before: dict[str, str] = dict(db.session.execute(
        db.select(PendingTask.id, PendingTask.lane).filter_by(instance_id=instance.id)
    ).all())
    instance.version_id = target.row_id
    stopped = instance.status == "error"  # only a watchdog-stopped one gets this far (_precheck)
    try:
        rows = save(instance, result, actor)
        if stopped:  # it stays out of the worker's way until an admin runs it again
            instance.status, instance.next_timer_at = "error", None
        for row in rows:
            # A claim belongs to someone holding the old lane; when the lane changed it must go back to the pool.
            if row.id in lanes_before and lanes_before[row.id] != row.lane:
                row.claimed_by_id = None
        detail = {"from": source.number, "to": target.number,
                  "from_hash": source.version.hash, "to_hash": target.version.hash}
        if timers:
            detail["timers"] = [t.as_dict() for t in timers]
        record(instance, "migrated", actor, detail)
        status = instance.status
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return InstanceResult(instance_id, False, "conflict", None, source.number,
                              ["kasus diubah bersamaan oleh orang lain; coba lagi"])
    return InstanceResult(instance_id, True, "migrated", status, source.number, [], timers)


def timer_changes(engine: Engine, source: ProcessVersion, before: str, target: ProcessVersion,
                  after: str, zone: str = DEFAULT_ZONE) -> list[TimerChange]:
    """The waiting timers whose due moment differs between the state before and after a move (`zone`: the case's
    office clock, for the notes)."""
    old = engine.inspect(source, before).timers
    new = engine.inspect(target, after).timers
    by_id = {t.task_id: t for t in old}
    by_name = {t.name: t for t in old}
    changes, matched = [], set()
    for timer in new:
        previous = by_id.get(timer.task_id) or by_name.get(timer.name)
        if previous is not None:
            matched.add(previous.task_id)
        if previous is None or previous.due != timer.due:
            changes.append(TimerChange(timer.name, previous.due if previous else None, timer.due, zone))
    changes += [TimerChange(t.name, t.due, None, zone) for t in old if t.task_id not in matched]
    return changes


# -- the diff, as the API and the analysts' page show it ------------------------------


def diff_json(process_id: str, old_number: int, new_number: int) -> dict[str, Any]:
    """What changed from one version to another: steps added/removed/changed, flows added/removed/changed."""
    old, new = runtime().by_number(process_id, old_number), runtime().by_number(process_id, new_number)
    missing = [{"field": f, "message": f"versi {n} tidak ada"}
               for f, n, ref in (("from", old_number, old), ("to", new_number, new)) if ref is None]
    if old is None or new is None:  # a version number that names nothing is a missing resource
        raise ApiError(404, "not_found", "versi proses tidak ditemukan", missing)
    diff = diff_versions(old.version, new.version)
    return {
        "process_id": process_id,
        "from": old_number,
        "to": new_number,
        "empty": diff.empty,
        "tasks_added": [_element(e) for e in diff.added],
        "tasks_removed": [_element(e) for e in diff.removed],
        "tasks_changed": [_element(e) for e in diff.changed],
        "flows_added": [_flow(f) for f in diff.flows_added],
        "flows_removed": [_flow(f) for f in diff.flows_removed],
        "flows_changed": [{"id": a.flow_id, "old": _flow(a), "new": _flow(b)} for a, b in diff.flows_changed],
    }


def _element(change: ElementChange) -> dict[str, Any]:
    body: dict[str, Any] = {"id": change.element_id, "title": change.title, "kind": change.kind}
    if change.changes:
        body["changes"] = {
            key: _form_change(old, new) if key == "form_content" else {"old": old, "new": new}
            for key, (old, new) in change.changes.items()
        }
    return body


def _flow(flow: FlowChange) -> dict[str, Any]:
    return {"id": flow.flow_id, "source": flow.source, "target": flow.target, "condition": flow.condition}


def _form_change(old: str | None, new: str | None) -> dict[str, Any]:
    """A form file's change as fields added, removed and changed (the whole texts are in the version files)."""
    a, b = _schema(old), _schema(new)
    props_a, props_b = a.get("properties", {}), b.get("properties", {})
    return {
        "fields_added": sorted(props_b.keys() - props_a.keys()),
        "fields_removed": sorted(props_a.keys() - props_b.keys()),
        "fields_changed": sorted(k for k in props_a.keys() & props_b.keys() if props_a[k] != props_b[k]),
        "required": {"old": a.get("required", []), "new": b.get("required", [])},
    }


def _schema(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
