"""What must hold for every instance after any load, race or crash: the stored rows agree with the state.

The state (engine) is the truth; the rows beside it (pending tasks, the instance's
status and timer columns, audit events, the outbox) are written in the same
transaction by `api.services.instances.save`. If any request or worker was cut
off half-way, or two of them acted on the same state, some of these disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent

from api.db import db
from api.models import (
    ACTIVE_STATUSES,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
    AuditEvent,
    Instance,
    OutboxMessage,
    PendingTask,
    PreparedFiring,
)
from api.services.versions import VersionRef, runtime


@dataclass
class Report:
    """Counts over the whole database, and every disagreement found (empty when all is well)."""

    instances: int = 0
    statuses: Counter = field(default_factory=Counter)
    tasks_completed: int = 0
    timers_fired: int = 0
    outbox_rows: int = 0
    completed_task_ids: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def add(self, instance_id: int, message: str) -> None:
        if len(self.problems) < 200:  # enough to diagnose; a systematic fault would otherwise flood the output
            self.problems.append(f"instance {instance_id}: {message}")


def _elements(ref: VersionRef) -> tuple[set[str], set[str]]:
    """The version's timer events and message-throwing events, by element id."""
    timers, throws = set(), set()
    for spec in ref.version.spec.task_specs.values():
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            timers.add(spec.name)
        elif isinstance(definition, MessageEventDefinition) and isinstance(spec, ThrowingEvent):
            throws.add(spec.name)
    return timers, throws


def _same_moment(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) < 0.001  # both databases keep microseconds; allow float rounding


def check(app: Flask, batch: int = 500) -> Report:
    """Load every instance's state with the engine and compare it with every row stored beside it."""
    report = Report()
    with app.app_context():
        rt = runtime()
        ids = db.session.execute(db.select(Instance.id).order_by(Instance.id)).scalars().all()
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            rows = db.session.execute(db.select(Instance).where(Instance.id.in_(chunk))).scalars().all()
            pending, events, outbox = defaultdict(list), defaultdict(list), Counter()
            for row in db.session.execute(db.select(PendingTask).where(PendingTask.instance_id.in_(chunk))).scalars():
                pending[row.instance_id].append(row)
            for event in db.session.execute(
                    db.select(AuditEvent).where(AuditEvent.instance_id.in_(chunk)).order_by(AuditEvent.id)).scalars():
                events[event.instance_id].append(event)
            for instance_id, in db.session.execute(
                    db.select(OutboxMessage.instance_id).where(OutboxMessage.instance_id.in_(chunk))):
                outbox[instance_id] += 1
            preparations = {p.instance_id: p for p in db.session.execute(
                db.select(PreparedFiring).where(PreparedFiring.instance_id.in_(chunk))).scalars()}
            for instance in rows:
                _check_instance(report, rt, instance, pending[instance.id], events[instance.id], outbox[instance.id])
                if instance.id in preparations:
                    _check_preparation(report, instance, preparations[instance.id])
            db.session.expunge_all()
        db.session.remove()
    return report


def _check_instance(report: Report, rt, instance: Instance, pending: list[PendingTask], events: list[AuditEvent],
                    outbox_rows: int) -> None:
    report.instances += 1
    report.statuses[instance.status] += 1
    say = lambda message: report.add(instance.id, message)  # noqa: E731 - a local shorthand
    try:
        ref = rt.by_row(instance.version_id)
        view = rt.engine.inspect(ref.version, instance.state)
    except Exception as exc:  # the first invariant: every state loads
        say(f"state does not load: {type(exc).__name__}: {exc}")
        return
    timers, throws = _elements(ref)

    if instance.status not in (STATUS_SUSPENDED, STATUS_CANCELLED) and instance.status != view.status:
        say(f"status column {instance.status!r} but the state says {view.status!r}")
    expected = {(t.id, t.name) for t in view.tasks} if instance.status in ACTIVE_STATUSES else set()
    stored = {(p.id, p.name) for p in pending}
    if stored != expected:
        say(f"pending-task rows {sorted(n for _, n in stored)} but ready human tasks {sorted(n for _, n in expected)}")
    dues = {t.id: t.due for t in view.tasks}
    for row in pending:
        if row.id in dues and not _same_moment(row.due_at, dues[row.id]):
            say(f"task {row.name} due_at {row.due_at} but the state says {dues[row.id]}")
    earliest = min((t.due for t in view.tasks if t.due), default=None) if instance.status in ACTIVE_STATUSES else None
    if instance.status in ACTIVE_STATUSES and not _same_moment(instance.due_at, earliest):
        say(f"due_at column {instance.due_at} but the earliest task deadline is {earliest}")
    postponed = bool(events) and events[-1].kind == "timer_failed"  # the worker retries it later (api/worker.py)
    if not postponed and not _same_moment(instance.next_timer_at, view.next_timer):
        say(f"next_timer_at {instance.next_timer_at} but the state's next timer is {view.next_timer}")
    if (view.status == "complete") != (instance.finished_at is not None):
        say(f"finished_at {instance.finished_at} for a state that is {view.status}")

    by_kind: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        by_kind[event.kind].append(event)
    if len(by_kind["instance_started"]) != 1:
        say(f"{len(by_kind['instance_started'])} instance_started events")
    completed_ids = [e.task_id for e in by_kind["task_completed"]]
    if len(completed_ids) != len(set(completed_ids)):
        say(f"a task completed twice: {sorted(k for k, n in Counter(completed_ids).items() if n > 1)}")
    done_human = {c.task_id for c in view.completed if c.human}
    if set(completed_ids) != done_human:
        say(f"task_completed events {sorted(set(completed_ids))} but completed human tasks {sorted(done_human)}")
    fired_ids = [e.task_id for e in by_kind["timer_fired"]]
    if len(fired_ids) != len(set(fired_ids)):
        say(f"a timer fired twice: {sorted(k for k, n in Counter(fired_ids).items() if n > 1)}")
    done_timers = {c.task_id for c in view.completed if c.name in timers}
    if set(fired_ids) != done_timers:
        say(f"timer_fired events {sorted(set(fired_ids))} but completed timers {sorted(done_timers)}")
    ready_ids = [e.task_id for e in by_kind["task_ready"]]
    if len(ready_ids) != len(set(ready_ids)):
        say("a task became ready twice")
    thrown = sum(1 for c in view.completed if c.name in throws)
    if not (outbox_rows == len(by_kind["message_sent"]) == thrown):
        say(f"{outbox_rows} outbox rows, {len(by_kind['message_sent'])} message_sent events, {thrown} messages thrown")
    if len(by_kind["instance_completed"]) != (1 if view.status == "complete" else 0):
        say(f"{len(by_kind['instance_completed'])} instance_completed events for a {view.status} state")
    claimed = {e.task_id for e in by_kind["task_claimed"]}
    for row in pending:
        if row.claimed_by_id is not None and row.id not in claimed:
            say(f"task {row.name} claimed without a task_claimed event")

    report.tasks_completed += len(completed_ids)
    report.completed_task_ids.update(completed_ids)
    report.timers_fired += len(fired_ids)
    report.outbox_rows += outbox_rows


def _check_preparation(report: Report, instance: Instance, preparation: PreparedFiring) -> None:
    """A preparation left behind is either stale (made from an older state) or made for the timer still waiting."""
    if preparation.for_lock_version != instance.lock_version:
        return  # stale: never applied, deleted when due
    if not _same_moment(preparation.due_at, instance.next_timer_at):
        report.add(instance.id, f"a current preparation for {preparation.due_at}, but the timer is due "
                                f"{instance.next_timer_at}")
