"""Comparing process versions and moving running instances between them.

`diff_versions` tells an analyst what an edit changed: tasks added, removed or
changed (name, lane, form, script, timer, condition) and flows added or removed.
`check_migration` / `migrate` move one instance's state to another version with
SpiffWorkflow's `diff_workflow`/`migrate_workflow`. The rule: an instance may move
when none of the tasks it has already done (completed, started, failed) changed or
disappeared, and none of the tasks it is waiting on disappeared. Ready and waiting
tasks are re-predicted on the new version, so their new form, lane or timer applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.events import EngineEvent
from engine.registry import BPMN_NS, ProcessVersion, safe_parse_xml
from engine.runtime import Engine
from engine.step_result import StepResult

DONE = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR
ACTIVE = TaskState.READY | TaskState.WAITING
# Attributes that only say who sees a step and how it is shown; changing them on a
# step already done does not change what the instance did, so it may still move.
PRESENTATION = {"lane", "bpmn_name", "documentation", "extensions", "data_input_associations"}


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    title: str
    kind: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # attribute -> (old, new)


@dataclass(frozen=True)
class FlowChange:
    flow_id: str
    source: str
    target: str
    condition: str | None


@dataclass
class VersionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)
    flows_added: list[FlowChange] = field(default_factory=list)
    flows_removed: list[FlowChange] = field(default_factory=list)
    flows_changed: list[tuple[FlowChange, FlowChange]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(
            (self.added, self.removed, self.changed, self.flows_added, self.flows_removed, self.flows_changed)
        )


@dataclass(frozen=True)
class MigrationCheck:
    ok: bool
    reasons: list[str]


class MigrationRefused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _elements(version: ProcessVersion) -> dict[str, dict[str, Any]]:
    """Comparable attributes of each BPMN element of the process (and what it calls)."""
    found: dict[str, dict[str, Any]] = {}
    for spec in [version.spec, *version.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if not task_spec.bpmn_id:
                continue
            props = dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))
            definition = getattr(task_spec, "event_definition", None)
            found[task_spec.bpmn_id] = {
                "kind": type(task_spec).__name__,
                "title": task_spec.bpmn_name or task_spec.bpmn_id,
                "attributes": {
                    "name": task_spec.bpmn_name,
                    "lane": task_spec.lane,
                    "form": props.get("formJsonSchemaFilename"),
                    "ui_form": props.get("formUiSchemaFilename"),
                    "form_content": _form_text(version, props.get("formJsonSchemaFilename")),
                    "script": getattr(task_spec, "script", None),
                    "pre_script": getattr(task_spec, "prescript", None),
                    "post_script": getattr(task_spec, "postscript", None),
                    "timer": getattr(definition, "expression", None),
                },
            }
    return found


def _form_text(version: ProcessVersion, name: str | None) -> str | None:
    return version.sources.get(f"forms/{name}") if name else None


def _flows(version: ProcessVersion) -> dict[str, FlowChange]:
    flows: dict[str, FlowChange] = {}
    for name, text in version.sources.items():
        if not name.startswith("bpmn/"):
            continue
        for flow in safe_parse_xml(text, name).getroot().iter(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            # A deployed version was parsed by SpiffWorkflow, which needs every flow's id and both ends.
            flow_id = flow.get("id", "")
            flows[flow_id] = FlowChange(
                flow_id,
                flow.get("sourceRef", ""),
                flow.get("targetRef", ""),
                (condition.text or "").strip() if condition is not None else None,
            )
    return flows


def diff_versions(old: ProcessVersion, new: ProcessVersion) -> VersionDiff:
    """What changed between two versions, element by element (matched by BPMN id)."""
    before, after = _elements(old), _elements(new)
    diff = VersionDiff()
    for element_id in sorted(after.keys() - before.keys()):
        diff.added.append(ElementChange(element_id, after[element_id]["title"], after[element_id]["kind"]))
    for element_id in sorted(before.keys() - after.keys()):
        diff.removed.append(ElementChange(element_id, before[element_id]["title"], before[element_id]["kind"]))
    for element_id in sorted(before.keys() & after.keys()):
        a, b = before[element_id]["attributes"], after[element_id]["attributes"]
        changes = {key: (a[key], b[key]) for key in a if a[key] != b.get(key)}
        if before[element_id]["kind"] != after[element_id]["kind"]:
            changes["kind"] = (before[element_id]["kind"], after[element_id]["kind"])
        if changes:
            diff.changed.append(
                ElementChange(element_id, after[element_id]["title"], after[element_id]["kind"], changes)
            )
    old_flows, new_flows = _flows(old), _flows(new)
    diff.flows_added = [new_flows[k] for k in sorted(new_flows.keys() - old_flows.keys())]
    diff.flows_removed = [old_flows[k] for k in sorted(old_flows.keys() - new_flows.keys())]
    diff.flows_changed = [
        (old_flows[k], new_flows[k])
        for k in sorted(old_flows.keys() & new_flows.keys())
        if old_flows[k] != new_flows[k]
    ]
    return diff


def _task_label(task: Any) -> str:
    spec = task.task_spec
    return spec.bpmn_name or spec.bpmn_id or spec.name


def _refusals(workflow: Any, spec_diff: SpecDiff) -> list[str]:
    reasons = []
    for task in workflow.get_tasks(skip_subprocesses=True):
        spec = task.task_spec
        if spec in spec_diff.removed:
            if task.has_state(DONE):
                reasons.append(f"langkah yang sudah dikerjakan '{_task_label(task)}' dihapus di versi tujuan")
            elif task.has_state(ACTIVE) and spec.bpmn_id:
                reasons.append(f"langkah yang sedang menunggu '{_task_label(task)}' tidak ada di versi tujuan")
        elif task.has_state(DONE) and spec.bpmn_id and set(spec_diff.changed.get(spec, [])) - PRESENTATION:
            reasons.append(f"langkah yang sudah dikerjakan '{_task_label(task)}' berubah di versi tujuan")
    return sorted(set(reasons))


def _diffs(engine: Engine, workflow: Any, target: ProcessVersion) -> tuple[WorkflowDiff, dict, list[str]]:
    """Align the instance's tasks with the target version (top level and each subprocess)."""
    registry = engine.serializer.registry
    spec_diff = SpecDiff(registry, workflow.spec, target.spec)
    top = WorkflowDiff(workflow, spec_diff)
    reasons = _refusals(workflow, spec_diff)
    subprocess_diffs: dict[Any, WorkflowDiff] = {}
    for sp_id, subprocess in workflow.subprocesses.items():
        new_spec = target.subprocess_specs.get(subprocess.spec.name)
        if new_spec is None:
            reasons.append(f"subproses {subprocess.spec.name} tidak ada di versi tujuan")
            continue
        sp_spec_diff = SpecDiff(registry, subprocess.spec, new_spec)
        subprocess_diffs[sp_id] = WorkflowDiff(subprocess, sp_spec_diff)
        reasons.extend(_refusals(subprocess, sp_spec_diff))
    return top, subprocess_diffs, reasons


def _kept_timers(diff: WorkflowDiff, workflow: Any) -> list[tuple[Any, str, Any]]:
    """Waiting timers whose expression the target version keeps: (task id, element, stored due moment).

    migrate_workflow re-predicts every waiting task, which computes its timer again from
    the moment of the move: a "P3D" would start counting anew. A deadline the edit did
    not touch must stay where it was, so these are put back afterwards.
    """
    kept = []
    for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
        definition = getattr(task.task_spec, "event_definition", None)
        value = task._get_internal_data("event_value")
        new_definition = getattr(diff.alignment.get(task), "event_definition", None)
        if (isinstance(definition, TimerEventDefinition) and isinstance(new_definition, TimerEventDefinition)
                and value is not None and new_definition.expression == definition.expression):
            kept.append((task.id, task.task_spec.name, value))
    return kept


def _restore_timers(workflow: Any, kept: list[tuple[Any, str, Any]]) -> None:
    for task_id, name, value in kept:
        task = workflow.tasks.get(task_id)
        if task is None:  # re-created under a re-predicted parent: the one waiting task of that element
            again = [t for t in workflow.tasks.values()
                     if t.task_spec.name == name and t.state & (TaskState.WAITING | TaskState.PREDICTED_MASK)]
            if len(again) != 1:
                continue
            task = again[0]
        task._set_internal_data(event_value=value)


def check_migration(engine: Engine, source: ProcessVersion, target: ProcessVersion, state: str) -> MigrationCheck:
    """Dry run: can this instance move from `source` to `target`, and if not, why."""
    if source.process_id != target.process_id:
        return MigrationCheck(False, [f"versi tujuan milik proses lain ({target.process_id})"])
    workflow = engine.load(source, state)
    _top, _subs, reasons = _diffs(engine, workflow, target)
    return MigrationCheck(not reasons, reasons)


def migrate(engine: Engine, source: ProcessVersion, target: ProcessVersion, state: str) -> StepResult:
    """Move the instance to `target`; raises MigrationRefused with the reasons when it may not."""
    if source.process_id != target.process_id:
        raise MigrationRefused([f"versi tujuan milik proses lain ({target.process_id})"])
    workflow = engine.load(source, state)
    top, subprocess_diffs, reasons = _diffs(engine, workflow, target)
    if reasons:
        raise MigrationRefused(reasons)
    kept = _kept_timers(top, workflow)
    migrate_workflow(top, workflow, target.spec)
    _restore_timers(workflow, kept)
    for sp_id, sp_diff in subprocess_diffs.items():
        subprocess = workflow.subprocesses[sp_id]
        kept = _kept_timers(sp_diff, subprocess)
        migrate_workflow(sp_diff, subprocess, target.subprocess_specs[subprocess.spec.name])
        _restore_timers(subprocess, kept)
    workflow.subprocess_specs = target.subprocess_specs

    def note(_wf: Any, events: list[EngineEvent]) -> None:
        events.append(EngineEvent("migrated", detail={"from": source.hash, "to": target.hash}))

    return engine.step(workflow, target, note)


__all__ = [
    "ElementChange",
    "FlowChange",
    "MigrationCheck",
    "MigrationRefused",
    "VersionDiff",
    "check_migration",
    "diff_versions",
    "migrate",
]
