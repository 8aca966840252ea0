"""Running instances: start, complete a task, fire timers, send events, inspect.

The engine holds no instance in memory between calls. Each operation takes the
stored state text, rebuilds the workflow on the version's cached spec, acts, and
returns a new state with what happened. A refusal raises before anything is
returned, so the caller stores nothing; a diagram script that fails is not a
refusal: the instance is returned in status "error" with the failing task, so an
admin can see it and retry after a fix.

Every operation first catches the instance up with the engine clock: timers already
due fire before a person's completion or an incoming event is applied, exactly as if
the worker had fired them on time. Otherwise a late completion would cancel a
boundary timer that was due and its escalation would never happen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import (
    DueTimerFailed,
    NothingWaiting,
    NotHumanTask,
    NotInError,
    TaskNotFound,
    TaskNotReady,
    WrongLane,
)
from engine.forms import CORRELATION_PROPERTY, WAIT_FIELDS_PROPERTY, FormRef
from engine.registry import ProcessVersion, TaskInfo
from engine.sandbox import SandboxEnvironment, SandboxScriptEngine, SandboxViolation, ScriptBudgetExceeded, ScriptError
from engine.script_helpers import make_helpers
from engine.serializer import StateSerializer
from engine.workdays import WorkCalendar

STATUS_RUNNING = "running"  # a person has something to do
STATUS_WAITING = "waiting"  # only timers or messages can move it
STATUS_COMPLETE = "complete"
STATUS_ERROR = "error"

# A cycle timer overdue by many periods fires once per round; past this many rounds the
# rest is left due (it stays the next timer), so one call cannot loop for long.
TIMER_ROUNDS = 20
_SANDBOX_ERRORS = {cls.__name__ for cls in (ScriptError, SandboxViolation, ScriptBudgetExceeded)}


@dataclass(frozen=True)
class HumanTask:
    """A task waiting for a person."""

    id: str
    name: str  # the BPMN element id
    title: str
    lane: str | None
    form: FormRef | None
    due: datetime | None
    instructions: str | None = None
    unit: str | None = None  # the unit code read from the task's data through its `unitField`, if any


@dataclass(frozen=True)
class EngineEvent:
    """Something that happened during one operation, for the audit trail."""

    kind: str  # task_ready, task_completed, timer_fired, message_received, message_sent,
    # signal_received, escalation, instance_completed, error
    task_id: str | None = None
    task_name: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    name: str
    due: datetime | None


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


class Engine:
    """Runs process versions; stateless between calls apart from caches."""

    def __init__(
        self,
        calendar: WorkCalendar | None = None,
        calendar_file: Path | None = None,
        script_line_budget: int | None = None,
        script_seconds: float | None = None,
        script_max_items: int | None = None,
        data_dir: Path | None = None,
        max_data_bytes: int | None = None,
    ) -> None:
        self.calendar = calendar or WorkCalendar.from_file(calendar_file)
        # Data files diagram scripts may read (`data_lookup`): beside the diagrams, like the holiday file.
        data_dir = data_dir or (calendar_file.parent if calendar_file is not None else None)
        options: dict[str, Any] = {}
        if script_line_budget is not None:
            options["line_budget"] = script_line_budget
        if script_seconds is not None:
            options["seconds"] = script_seconds
        if script_max_items is not None:
            options["max_items"] = script_max_items
        if max_data_bytes is not None:
            options["max_data_bytes"] = max_data_bytes
        self.script_engine = SandboxScriptEngine(SandboxEnvironment(make_helpers(self.calendar, data_dir), **options))
        self.serializer = StateSerializer(**({"max_data_bytes": max_data_bytes} if max_data_bytes is not None else {}))

    # -- operations -------------------------------------------------------------

    def start(self, version: ProcessVersion, data: dict[str, Any], *, validate: bool = True) -> StepResult:
        """Start an instance with start data (checked against the start form)."""
        if validate and version.start.form is not None:
            version.start.form.validate(data)
        workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return self.step(workflow, version, lambda wf, events: None)

    def complete(
        self,
        version: ProcessVersion,
        state: str,
        task_id: str,
        data: dict[str, Any],
        lane: str | None,
        *,
        validate: bool = True,
    ) -> StepResult:
        """Complete a ready human task with form data, as someone holding `lane`.

        Timers already due fire first; if one of them closes the task (an interrupting
        boundary timer), the completion is refused and the worker fires it as usual.
        """
        workflow = self.load(version, state)
        task = self._human_task(workflow, task_id)
        if lane is not None and task.task_spec.lane not in (None, lane):
            raise WrongLane(f"tugas ini milik peran '{task.task_spec.lane}', bukan '{lane}'")
        form = version.tasks.get(task.task_spec.name)
        if validate and form is not None and form.form is not None:
            form.form.validate(data)
        before = _ready_human_ids(workflow)
        events = self._catch_up(workflow)
        if task.state != TaskState.READY:
            raise TaskNotReady(
                f"tugas {_title(task)} tidak lagi menunggu dikerjakan: batas waktunya sudah lewat dan timer menutupnya"
            )

        def act(wf: BpmnWorkflow, events: list[EngineEvent]) -> None:
            task.data.update(data)  # not add_data_from_form: it corrupts lists in loops
            task.run()
            events.append(
                EngineEvent("task_completed", str(task.id), task.task_spec.name, {"lane": task.task_spec.lane})
            )

        return self.step(workflow, version, act, before=before, events=events)

    def fire_timers(self, version: ProcessVersion, state: str) -> StepResult:
        """Fire every timer whose due moment has passed (by the engine clock)."""
        workflow = self.load(version, state)
        return self.step(workflow, version, lambda wf, events: wf.refresh_timers())

    def send_message(self, version: ProcessVersion, state: str, name: str, payload: Any = None) -> StepResult:
        return self._send(version, state, SpiffMessageEventDefinition(name), payload, "message_received")

    def send_signal(self, version: ProcessVersion, state: str, name: str, payload: Any = None) -> StepResult:
        return self._send(version, state, SpiffSignalEventDefinition(name), payload, "signal_received")

    def retry(self, version: ProcessVersion, state: str) -> StepResult:
        """Run the failed tasks again (after the data or the diagram was fixed).

        Timers that came due while the instance stood in error fire after the failed
        tasks ran, not before: an interrupting timer fired first could cancel the very
        task being retried.
        """
        workflow = self.load(version, state)
        failed = workflow.get_tasks(state=TaskState.ERROR)
        if not failed:
            raise NotInError("instance tidak dalam keadaan galat")

        def act(wf: BpmnWorkflow, events: list[EngineEvent]) -> None:
            for task in failed:
                task._set_state(TaskState.READY)

        return self.step(workflow, version, act)

    def update_data(self, version: ProcessVersion, state: str, task_id: str, changes: dict[str, Any]) -> str:
        """Change a task's data (an admin fixing an errored instance); returns the new state."""
        workflow = self.load(version, state)
        task = self._find(workflow, task_id)
        task.data.update(changes)
        return self.serializer.dumps(workflow)

    def inspect(self, version: ProcessVersion, state: str) -> InstanceView:
        workflow = self.load(version, state)
        all_tasks = workflow.get_tasks()
        completed = [self._completed_step(t) for t in all_tasks if t.state == TaskState.COMPLETED and _is_flow_node(t)]
        errored = [self._completed_step(t) for t in all_tasks if t.state == TaskState.ERROR]
        tasks = self._ready_human_tasks(workflow, version)
        timers = self._waiting_timers(workflow)
        active = [
            t.task_spec.bpmn_id
            for t in all_tasks
            if t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR)
            and t.task_spec.bpmn_id
        ]
        return InstanceView(
            status=_status(workflow, tasks),
            data=_instance_data(workflow, tasks),
            tasks=tasks,
            completed=completed,
            timers=timers,
            errored=errored,
            active_elements=sorted(set(active)),
            completed_elements=sorted({s.name for s in completed}),
            next_timer=min((t.due for t in timers if t.due), default=None),
            waits=waiting_messages(workflow),
        )

    # -- state ------------------------------------------------------------------

    def load(self, version: ProcessVersion, state: str) -> BpmnWorkflow:
        workflow = self.serializer.loads(state, version.spec, version.subprocess_specs)
        workflow.script_engine = self.script_engine
        return workflow

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return self.serializer.dumps(workflow)

    # -- internals ----------------------------------------------------------------

    def _send(self, version: ProcessVersion, state: str, definition: Any, payload: Any, kind: str) -> StepResult:
        workflow = self.load(version, state)
        before = _ready_human_ids(workflow)
        events = self._catch_up(workflow)  # a due timer may have taken the path the event would have

        def act(wf: BpmnWorkflow, events: list[EngineEvent]) -> None:
            try:
                wf.send_event(BpmnEvent(definition, payload))
            except SpiffWorkflowException as exc:
                raise NothingWaiting(f"tidak ada yang menunggu '{definition.name}' pada instance ini") from exc
            events.append(EngineEvent(kind, detail={"name": definition.name}))

        return self.step(workflow, version, act, before=before, events=events)

    def _catch_up(self, workflow: BpmnWorkflow) -> list[EngineEvent]:
        """Fire the timers already due before acting; a failure there refuses the operation."""
        events: list[EngineEvent] = []
        waiting = [t for t in workflow.event_manager.tasks.values() if _is_timer(t)]
        try:
            workflow.refresh_timers()
            if any(t.state == TaskState.READY for t in waiting):  # most calls: nothing due, no tree walk
                _run_ready_timers(workflow, events)
        except SpiffWorkflowException as exc:
            detail = _error_event(exc).detail["message"]
            raise DueTimerFailed(
                f"timer yang sudah jatuh tempo gagal dijalankan ({detail}); tidak ada yang disimpan"
            ) from exc
        return events

    def step(
        self,
        workflow: BpmnWorkflow,
        version: ProcessVersion,
        act: Callable[[BpmnWorkflow, list[EngineEvent]], None],
        *,
        before: set[str] | None = None,
        events: list[EngineEvent] | None = None,
    ) -> StepResult:
        """Apply `act` to a loaded workflow, run the engine, and describe the outcome.

        `before` (the ready human tasks before the operation) and `events` (what already
        happened in it) are given when timers fired before `act`.
        """
        before = _ready_human_ids(workflow) if before is None else before
        events = [] if events is None else events
        try:
            act(workflow, events)
            workflow.do_engine_steps(did_complete_task=lambda t: _note_engine_task(t, events))
            _run_ready_timers(workflow, events)  # due while the step ran: fire now, not at the next round
        except SpiffWorkflowException as exc:
            events.append(_error_event(exc))
        tasks = self._ready_human_tasks(workflow, version)
        events.extend(EngineEvent("task_ready", t.id, t.name, {"lane": t.lane}) for t in tasks if t.id not in before)
        messages = [
            OutgoingMessage(e.event_definition.name, e.payload)
            for e in workflow.get_events()
            if isinstance(e.event_definition, MessageEventDefinition)
        ]
        events.extend(EngineEvent("message_sent", detail={"name": m.name}) for m in messages)
        status = _status(workflow, tasks)
        if status == STATUS_COMPLETE:
            events.append(EngineEvent("instance_completed"))
        return StepResult(
            state=self.serializer.dumps(workflow),
            status=status,
            tasks=tasks,
            next_timer=min((t.due for t in self._waiting_timers(workflow) if t.due), default=None),
            events=events,
            messages=messages,
            data=_instance_data(workflow, tasks),
            waits=waiting_messages(workflow),
        )

    def _find(self, workflow: BpmnWorkflow, task_id: str) -> Task:
        try:
            task = workflow.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TaskNotFoundException):
            task = None
        if task is None:
            raise TaskNotFound(f"tugas {task_id} tidak ada pada instance ini")
        return task

    def _human_task(self, workflow: BpmnWorkflow, task_id: str) -> Task:
        task = self._find(workflow, task_id)
        if not task.task_spec.manual:
            raise NotHumanTask(f"tugas {task.task_spec.name} dijalankan mesin, bukan oleh petugas")
        if task.state != TaskState.READY:
            state = TaskState.get_name(task.state)
            raise TaskNotReady(f"tugas {_title(task)} tidak menunggu dikerjakan (status {state})")
        return task

    def _ready_human_tasks(self, workflow: BpmnWorkflow, version: ProcessVersion) -> list[HumanTask]:
        result = []
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            info = version.tasks.get(task.task_spec.name)
            result.append(
                HumanTask(
                    id=str(task.id),
                    name=task.task_spec.name,
                    title=task.task_spec.bpmn_name or task.task_spec.name,
                    lane=task.task_spec.lane,
                    form=info.form if info else None,
                    due=_due(task),
                    instructions=info.instructions if info else None,
                    unit=_unit(task, info),
                )
            )
        return result

    def _waiting_timers(self, workflow: BpmnWorkflow) -> list[WaitingTimer]:
        # A READY timer is due but not fired yet (left over past TIMER_ROUNDS): still the next timer.
        return [
            WaitingTimer(str(task.id), _title(task), _timer_due(task))
            for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
            if _is_timer(task)
        ]

    def _completed_step(self, task: Task) -> CompletedStep:
        spec = task.task_spec
        finished = datetime.fromtimestamp(task.last_state_change, UTC) if task.last_state_change else None
        return CompletedStep(str(task.id), spec.name, spec.bpmn_name or spec.name, spec.lane, finished, spec.manual)


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
                title=_title(task),
                name=definition.name,
                correlation_field=key,
                correlation=str(value) if value not in (None, "") else None,
                fields={f: task.data.get(f) for f in shared},
            )
        )
    return found


def _unit(task: Task, info: TaskInfo | None) -> str | None:
    """The unit a task is routed to: the value of its `unitField` in the task's data, as text."""
    if info is None or not info.unit_field:
        return None
    value = task.data.get(info.unit_field)
    return str(value) if value not in (None, "") else None


def _title(task: Task) -> str:
    return task.task_spec.bpmn_name or task.task_spec.name


def _is_timer(task: Task) -> bool:
    spec = task.task_spec
    return isinstance(spec, CatchingEvent) and isinstance(spec.event_definition, TimerEventDefinition)


def _ready_human_ids(workflow: BpmnWorkflow) -> set[str]:
    return {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def _run_ready_timers(workflow: BpmnWorkflow, events: list[EngineEvent]) -> None:
    """Run timers that refreshing made READY; each engine run refreshes again at its end."""
    for _ in range(TIMER_ROUNDS):
        if not any(_is_timer(t) for t in workflow.get_tasks(state=TaskState.READY)):
            return
        workflow.do_engine_steps(did_complete_task=lambda t: _note_engine_task(t, events))


def _is_flow_node(task: Task) -> bool:
    return bool(task.task_spec.bpmn_id) and not isinstance(task.task_spec, BoundaryEventSplit)


def _timer_due(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    moment = TimerEventDefinition.get_datetime(value)
    return datetime.fromtimestamp(moment.timestamp(), UTC)  # a plain datetime, not the clocked one


def _due(task: Task) -> datetime | None:
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
        _timer_due(sibling)
        for sibling in parent.children
        if sibling is not task
        and sibling.state in (TaskState.WAITING, TaskState.READY, TaskState.COMPLETED)
        and isinstance(getattr(sibling.task_spec, "event_definition", None), TimerEventDefinition)
    ]


def _note_engine_task(task: Task, events: list[EngineEvent]) -> None:
    definition = getattr(task.task_spec, "event_definition", None)
    name = task.task_spec.name
    if isinstance(definition, TimerEventDefinition):
        events.append(EngineEvent("timer_fired", str(task.id), name, {"title": task.task_spec.bpmn_name}))
    elif isinstance(definition, EscalationEventDefinition):
        events.append(EngineEvent("escalation", str(task.id), name, {"code": getattr(definition, "code", None)}))


def _error_event(exc: SpiffWorkflowException) -> EngineEvent:
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


def _status(workflow: BpmnWorkflow, tasks: list[HumanTask]) -> str:
    if workflow.get_tasks(state=TaskState.ERROR):
        return STATUS_ERROR
    if workflow.is_completed():
        return STATUS_COMPLETE
    return STATUS_RUNNING if tasks else STATUS_WAITING


def _instance_data(workflow: BpmnWorkflow, tasks: list[HumanTask]) -> dict[str, Any]:
    """The data a person sees: what the ready tasks carry, else the last completed task's."""
    if workflow.is_completed() or not tasks:
        last = workflow.last_task or workflow.task_tree
        data = dict(last.data)
        # Deadline timers first, then the rest by their latest change: a step waiting for a message
        # carries newer data than a timer armed on a parallel branch at the start (whose change
        # stamp moves every time timers are refreshed).
        waiting = workflow.get_tasks(state=TaskState.ERROR | TaskState.WAITING)
        for task in sorted(waiting, key=lambda t: (not _is_timer(t), t.last_state_change or 0)):
            data.update(task.data)
        return _public(data)
    data: dict[str, Any] = {}
    for human in tasks:
        data.update(workflow.get_task_from_id(UUID(human.id)).data)
    return _public(data)


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not callable(v)}
