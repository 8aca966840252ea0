"""Messages between instances: the catches an instance waits at and the messages it sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from engine.forms import CORRELATION_PROPERTY, WAIT_FIELDS_PROPERTY
from engine.tasks import task_title


@dataclass(frozen=True)
class OutgoingMessage:
    name: str
    payload: Any


@dataclass(frozen=True)
class WaitingMessage:
    """A message catch the instance waits at: what another instance must send to move it.

    `correlation_field` (the catch event's `correlationField`) names a data field of this
    instance; a message reaches it only when its payload carries the same value under the
    same key. `fields` are the data the catch event shares with whoever decides on it
    (`batchFields`), e.g. a forum listing the proposals that wait for its decision.
    """

    task_id: str
    element: str  # the BPMN id of the catch event
    title: str
    name: str  # the message name
    correlation_field: str | None
    correlation: str | None
    fields: dict[str, Any]


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    """The message catches (intermediate, boundary, receive) the workflow waits at now."""
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if not isinstance(spec, CatchingEvent) or not isinstance(definition, MessageEventDefinition):
            continue
        props = dict((spec.extensions or {}).get("properties", {}))
        key = props.get(CORRELATION_PROPERTY) or None
        value = task.data.get(key) if key else None
        shared = [f.strip() for f in props.get(WAIT_FIELDS_PROPERTY, "").split(",") if f.strip()]
        found.append(
            WaitingMessage(
                task_id=str(task.id),
                element=spec.bpmn_id or spec.name,
                title=task_title(task),
                name=definition.name,
                correlation_field=key,
                correlation=str(value) if value not in (None, "") else None,
                fields={f: task.data.get(f) for f in shared},
            )
        )
    return found


def outgoing_messages(workflow: BpmnWorkflow) -> list[OutgoingMessage]:
    """The messages the last step sent, for the caller to deliver (SpiffWorkflow only queues them)."""
    return [
        OutgoingMessage(e.event_definition.name, e.payload)
        for e in workflow.get_events()
        if isinstance(e.event_definition, MessageEventDefinition)
    ]
