"""What an instance looks like at one moment: its status, the data people see, and the full view for inspection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.human_tasks import HumanTask, ready_human_tasks
from engine.messages import WaitingMessage, waiting_messages
from engine.registry import ProcessVersion
from engine.tasks import is_flow_node, task_title
from engine.timers import WaitingTimer, is_timer, next_timer, waiting_timers

STATUS_RUNNING = "running"  # a person has something to do
STATUS_WAITING = "waiting"  # only timers or messages can move it
STATUS_COMPLETE = "complete"
STATUS_ERROR = "error"


@dataclass(frozen=True)
class CompletedStep:
    task_id: str
    name: str
    title: str
    lane: str | None
    finished: datetime | None
    human: bool


@dataclass(frozen=True)
class InstanceView:
    """An instance opened for inspection (admin pages, tracking)."""

    status: str
    data: dict[str, Any]
    tasks: list[HumanTask]
    completed: list[CompletedStep]
    timers: list[WaitingTimer]
    errored: list[CompletedStep]
    active_elements: list[str]
    completed_elements: list[str]
    next_timer: datetime | None
    waits: list[WaitingMessage] = field(default_factory=list)


def instance_view(workflow: BpmnWorkflow, version: ProcessVersion) -> InstanceView:
    all_tasks = workflow.get_tasks()
    completed = [_completed_step(t) for t in all_tasks if t.state == TaskState.COMPLETED and is_flow_node(t)]
    errored = [_completed_step(t) for t in all_tasks if t.state == TaskState.ERROR]
    tasks = ready_human_tasks(workflow, version)
    timers = waiting_timers(workflow)
    active = [
        t.task_spec.bpmn_id
        for t in all_tasks
        if t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR) and t.task_spec.bpmn_id
    ]
    return InstanceView(
        status=workflow_status(workflow, tasks),
        data=visible_data(workflow, tasks),
        tasks=tasks,
        completed=completed,
        timers=timers,
        errored=errored,
        active_elements=sorted(set(active)),
        completed_elements=sorted({s.name for s in completed}),
        next_timer=next_timer(timers),
        waits=waiting_messages(workflow),
    )


def workflow_status(workflow: BpmnWorkflow, tasks: list[HumanTask]) -> str:
    """One of the STATUS_* values, given the workflow's ready human tasks."""
    if workflow.get_tasks(state=TaskState.ERROR):
        return STATUS_ERROR
    if workflow.is_completed():
        return STATUS_COMPLETE
    return STATUS_RUNNING if tasks else STATUS_WAITING


def visible_data(workflow: BpmnWorkflow, tasks: list[HumanTask]) -> dict[str, Any]:
    """The data a person sees: what the ready tasks carry, else the last completed task's."""
    if workflow.is_completed() or not tasks:
        last = workflow.last_task or workflow.task_tree
        data = dict(last.data)
        # Deadline timers first, then the rest by their latest change: a step waiting for a message
        # carries newer data than a timer armed on a parallel branch at the start (whose change
        # stamp moves every time timers are refreshed).
        waiting = workflow.get_tasks(state=TaskState.ERROR | TaskState.WAITING)
        for task in sorted(waiting, key=lambda t: (not is_timer(t), t.last_state_change or 0)):
            data.update(task.data)
        return _public(data)
    data = {}
    for human in tasks:
        data.update(workflow.get_task_from_id(UUID(human.id)).data)
    return _public(data)


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not callable(v)}


def _completed_step(task: Task) -> CompletedStep:
    spec = task.task_spec
    finished = datetime.fromtimestamp(task.last_state_change, UTC) if task.last_state_change else None
    return CompletedStep(str(task.id), spec.name, task_title(task), spec.lane, finished, spec.manual)
