"""Timers and due moments: when a waiting timer fires, a human task's deadline, firing what is due.

A timer's due moment is fixed by SpiffWorkflow when the timer is reached and kept in the
task's internal data (`event_value`); everything here reads it from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import DueTimerFailed
from engine.events import EngineEvent, error_event, note_engine_task
from engine.tasks import task_title

# A cycle timer overdue by many periods fires once per round; past this many rounds the
# rest is left due (it stays the next timer), so one call cannot loop for long.
TIMER_ROUNDS = 20


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    name: str
    due: datetime | None


def is_timer(task: Task) -> bool:
    spec = task.task_spec
    return isinstance(spec, CatchingEvent) and isinstance(spec.event_definition, TimerEventDefinition)


def timer_due(task: Task) -> datetime | None:
    """The moment a reached timer fires (the next one, for a cycle), None before it is reached."""
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    moment = TimerEventDefinition.get_datetime(value)
    return datetime.fromtimestamp(moment.timestamp(), UTC)  # a plain datetime, not the clocked one


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """The timers the workflow waits at, with their due moments."""
    # A READY timer is due but not fired yet (left over past TIMER_ROUNDS): still the next timer.
    return [
        WaitingTimer(str(task.id), task_title(task), timer_due(task))
        for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
        if is_timer(task)
    ]


def next_timer(timers: list[WaitingTimer]) -> datetime | None:
    return min((t.due for t in timers if t.due), default=None)


def task_due(task: Task) -> datetime | None:
    """A human task's due moment: the earliest timer on its boundary or on a sub-process box around it.

    A deadline that watches a phase (a box of several steps with the timer on its border)
    is the due moment of every step inside it.
    """
    dues: list[datetime | None] = []
    current: Task | None = task
    while current is not None:
        dues.extend(_boundary_timer_dues(current))
        workflow = current.workflow
        parent_id = workflow.parent_task_id
        current = workflow.top_workflow.get_task_from_id(parent_id) if parent_id is not None else None
    return min((d for d in dues if d), default=None)


def _boundary_timer_dues(task: Task) -> list[datetime | None]:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return []
    # A non-interrupting timer that already fired still marks the deadline: the task is late.
    return [
        timer_due(sibling)
        for sibling in parent.children
        if sibling is not task
        and sibling.state in (TaskState.WAITING, TaskState.READY, TaskState.COMPLETED)
        and isinstance(getattr(sibling.task_spec, "event_definition", None), TimerEventDefinition)
    ]


def run_ready_timers(workflow: BpmnWorkflow, events: list[EngineEvent]) -> None:
    """Run timers that refreshing made READY; each engine run refreshes again at its end."""
    for _ in range(TIMER_ROUNDS):
        if not any(is_timer(t) for t in workflow.get_tasks(state=TaskState.READY)):
            return
        workflow.do_engine_steps(did_complete_task=lambda t: note_engine_task(t, events))


def fire_due_timers(workflow: BpmnWorkflow) -> list[EngineEvent]:
    """Fire the timers already due before an operation acts; a failure there refuses the operation."""
    events: list[EngineEvent] = []
    waiting = [t for t in workflow.event_manager.tasks.values() if is_timer(t)]
    try:
        workflow.refresh_timers()
        if any(t.state == TaskState.READY for t in waiting):  # most calls: nothing due, no tree walk
            run_ready_timers(workflow, events)
    except SpiffWorkflowException as exc:
        detail = error_event(exc).detail["message"]
        raise DueTimerFailed(
            f"timer yang sudah jatuh tempo gagal dijalankan ({detail}); tidak ada yang disimpan"
        ) from exc
    return events
