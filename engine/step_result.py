"""The outcome of one engine operation: the new state and what the caller must store and show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.events import EngineEvent
from engine.human_tasks import HumanTask, ready_human_tasks
from engine.messages import OutgoingMessage, WaitingMessage, outgoing_messages, waiting_messages
from engine.registry import ProcessVersion
from engine.snapshot import STATUS_COMPLETE, visible_data, workflow_status
from engine.timers import next_timer, waiting_timers


@dataclass(frozen=True)
class StepResult:
    """The new state and what the caller must store and show after one operation."""

    state: str
    status: str
    tasks: list[HumanTask]
    next_timer: datetime | None
    events: list[EngineEvent]
    messages: list[OutgoingMessage]
    data: dict[str, Any]
    waits: list[WaitingMessage] = field(default_factory=list)


def describe_step(
    workflow: BpmnWorkflow,
    version: ProcessVersion,
    dumps: Callable[[BpmnWorkflow], str],
    before: set[str],
    events: list[EngineEvent],
) -> StepResult:
    """Describe a workflow after an operation ran; `before` is the ready human tasks' ids before it."""
    tasks = ready_human_tasks(workflow, version)
    # The unit is kept in the history so that who a case was routed to stays known after the task is done.
    events.extend(EngineEvent("task_ready", t.id, t.name, {"lane": t.lane, **({"unit": t.unit} if t.unit else {})})
                  for t in tasks if t.id not in before)
    # Read (and so take) the sent messages before serializing: they are the caller's to deliver, not state.
    messages = outgoing_messages(workflow)
    events.extend(EngineEvent("message_sent", detail={"name": m.name}) for m in messages)
    status = workflow_status(workflow, tasks)
    if status == STATUS_COMPLETE:
        events.append(EngineEvent("instance_completed"))
    return StepResult(
        state=dumps(workflow),
        status=status,
        tasks=tasks,
        next_timer=next_timer(waiting_timers(workflow)),
        events=events,
        messages=messages,
        data=visible_data(workflow, tasks),
        waits=waiting_messages(workflow),
    )
