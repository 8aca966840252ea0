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

This module is the facade; what it returns and reads lives beside it: `step_result`
(StepResult), `snapshot` (status, visible data, InstanceView), `human_tasks`, `timers`
(due moments, firing what is due), `messages` and `events`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.errors import NothingWaiting, NotInError, TaskNotReady, WrongLane
from engine.events import EngineEvent, error_event, note_engine_task
from engine.forms import FieldError, FormInvalid, FormRef, data_key_errors
from engine.human_tasks import ready_human_ids, ready_human_task
from engine.registry import ProcessVersion
from engine.sandbox import SandboxEnvironment, SandboxScriptEngine
from engine.script_helpers import data_keys, make_helpers
from engine.serializer import StateSerializer
from engine.snapshot import InstanceView, instance_view
from engine.step_result import StepResult, describe_step
from engine.tasks import find_task, task_title
from engine.timers import fire_due_timers, run_ready_timers
from engine.workdays import WorkCalendar


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
        self.data_dir = data_dir
        self.script_engine = SandboxScriptEngine(SandboxEnvironment(make_helpers(self.calendar, data_dir), **options))
        self.serializer = StateSerializer(**({"max_data_bytes": max_data_bytes} if max_data_bytes is not None else {}))

    # -- operations -------------------------------------------------------------

    def start(self, version: ProcessVersion, data: dict[str, Any], *, validate: bool = True) -> StepResult:
        """Start an instance with start data (checked against the start form)."""
        if validate and version.start.form is not None:
            self.validate(version.start.form, data)
        workflow = BpmnWorkflow(version.spec, version.subprocess_specs, script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return self.step(workflow, version, lambda wf, events: None)

    def validate(self, form: FormRef, data: Any, context: Mapping[str, Any] | None = None) -> None:
        """The form's checks (date bounds may name `context`, the case data so far) and, for a field marked
        `x-alur-data-key`, that its value is a key of that data file beside the diagrams; FormInvalid with
        every problem."""
        try:
            form.validate(data, context)
            errors: list[FieldError] = []
        except FormInvalid as exc:
            errors = list(exc.errors)
        if self.data_dir is not None:  # an engine given no data files (a unit test) has nothing to check against
            errors += data_key_errors(form, data, lambda name: data_keys(self.data_dir, name),
                                      {e.field for e in errors})
        if errors:
            raise FormInvalid(errors)

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
        task = ready_human_task(workflow, task_id)
        if lane is not None and task.task_spec.lane not in (None, lane):
            raise WrongLane(f"tugas ini milik peran '{task.task_spec.lane}', bukan '{lane}'")
        form = version.tasks.get(task.task_spec.name)
        if validate and form is not None and form.form is not None:
            self.validate(form.form, data, context=task.data)
        before = ready_human_ids(workflow)
        events = fire_due_timers(workflow)
        if task.state != TaskState.READY:
            raise TaskNotReady(
                f"tugas {task_title(task)} tidak lagi menunggu dikerjakan: "
                "batas waktunya sudah lewat dan timer menutupnya"
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
            raise NotInError("kasus tidak dalam keadaan kesalahan")

        def act(wf: BpmnWorkflow, events: list[EngineEvent]) -> None:
            for task in failed:
                task._set_state(TaskState.READY)

        return self.step(workflow, version, act)

    def update_data(self, version: ProcessVersion, state: str, task_id: str, changes: dict[str, Any]) -> str:
        """Change a task's data (an admin fixing an errored instance); returns the new state."""
        workflow = self.load(version, state)
        task = find_task(workflow, task_id)
        task.data.update(changes)
        return self.serializer.dumps(workflow)

    def inspect(self, version: ProcessVersion, state: str) -> InstanceView:
        return instance_view(self.load(version, state), version)

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
        before = ready_human_ids(workflow)
        events = fire_due_timers(workflow)  # a due timer may have taken the path the event would have

        def act(wf: BpmnWorkflow, events: list[EngineEvent]) -> None:
            try:
                wf.send_event(BpmnEvent(definition, payload))
            except SpiffWorkflowException as exc:
                raise NothingWaiting(f"tidak ada yang menunggu '{definition.name}' pada kasus ini") from exc
            events.append(EngineEvent(kind, detail={"name": definition.name}))

        return self.step(workflow, version, act, before=before, events=events)

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
        before = ready_human_ids(workflow) if before is None else before
        events = [] if events is None else events
        try:
            act(workflow, events)
            workflow.do_engine_steps(did_complete_task=lambda t: note_engine_task(t, events))
            run_ready_timers(workflow, events)  # due while the step ran: fire now, not at the next round
        except SpiffWorkflowException as exc:
            events.append(error_event(exc))
        return describe_step(workflow, version, self.serializer.dumps, before, events)
