"""What happened during one engine operation, for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task

from engine.sandbox import SandboxViolation, ScriptBudgetExceeded, ScriptError

_SANDBOX_ERRORS = {cls.__name__ for cls in (ScriptError, SandboxViolation, ScriptBudgetExceeded)}


@dataclass(frozen=True)
class EngineEvent:
    """Something that happened during one operation, for the audit trail."""

    kind: str  # task_ready, task_completed, timer_fired, message_received, message_sent,
    # signal_received, escalation, instance_completed, error
    task_id: str | None = None
    task_name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def note_engine_task(task: Task, events: list[EngineEvent]) -> None:
    """Record the engine-run tasks the audit trail shows: timers that fired and escalations."""
    definition = getattr(task.task_spec, "event_definition", None)
    name = task.task_spec.name
    if isinstance(definition, TimerEventDefinition):
        events.append(EngineEvent("timer_fired", str(task.id), name, {"title": task.task_spec.bpmn_name}))
    elif isinstance(definition, EscalationEventDefinition):
        events.append(EngineEvent("escalation", str(task.id), name, {"code": getattr(definition, "code", None)}))


def error_event(exc: SpiffWorkflowException) -> EngineEvent:
    """The failure of a diagram's task as an event naming the task, the message and the script line."""
    task = getattr(exc, "task", None)
    message = str(exc).split("\n")[0]
    error_type = getattr(exc, "error_type", None)
    if error_type in _SANDBOX_ERRORS and exc.args:
        # Our sandbox's text is written for analysts: drop SpiffWorkflow's "ClassName:" wrapping.
        message = str(exc.args[0]).removeprefix(f"{error_type}:")
    return EngineEvent(
        "error",
        str(task.id) if task is not None else None,
        task.task_spec.name if task is not None else None,
        {"message": message, "line": getattr(exc, "line_number", None)},
    )
