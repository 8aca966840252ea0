"""Instance state as JSON, without the process spec.

SpiffWorkflow's serializer embeds the whole spec in every instance (most of its
size and cost). We store the spec once per version and the instance state without
it, rebuilding the workflow from the version's cached spec objects. The state
records both SpiffWorkflow's serializer version and ours, so old states can be
migrated later. Task data must be JSON-safe: `date` and `Decimal` are converted to
ISO text and decimal text; anything else is refused with the key that holds it.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_FORMAT_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.data_bound import DEFAULT_MAX_DATA_BYTES, DataTooLarge, check_data

FORMAT = "alur-state-1"
FORMAT_KEY = "alur_format"


class StateError(ValueError):
    """A state that cannot be written (unsupported data) or read (wrong format)."""


class StateTooLarge(StateError):
    """Data over the size limit: refused before it is serialized, the task and field named."""


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without `spec`/`subprocess_specs`; reads it back with given specs."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec=None, subprocess_specs=None) -> BpmnWorkflow:
        if spec is None:
            raise StateError("state without spec needs the version's spec to load")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: v["value"], typename="date")
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: v["value"], typename="Decimal")
    return registry


class StateSerializer:
    """dumps(workflow) -> JSON text without spec; loads(text, spec, subprocess_specs) -> workflow."""

    def __init__(self, max_data_bytes: int = DEFAULT_MAX_DATA_BYTES) -> None:
        self._serializer = BpmnWorkflowSerializer(_registry())
        self.max_data_bytes = max_data_bytes

    def dumps(self, workflow: BpmnWorkflow) -> str:
        self.check_size(workflow)
        try:
            text = self._serializer.serialize_json(workflow)
        except TypeError as exc:
            raise StateError(f"data tidak dapat disimpan sebagai JSON: {_offending_key(workflow) or exc}") from exc
        # serialize_json has written its own version key; add ours at the end cheaply.
        return text[:-1] + f', "{FORMAT_KEY}": "{FORMAT}"}}'

    def check_size(self, workflow: BpmnWorkflow) -> None:
        """Refuse, naming the task, data whose JSON text would pass the limit: measured, never built."""
        try:
            check_data(workflow.data, self.max_data_bytes, "kasus")
            # Finished tasks keep the data they were stored with; what grows is carried by the open ones.
            for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
                check_data(task.data, self.max_data_bytes, f"tugas {task.task_spec.name}")
        except DataTooLarge as exc:
            raise StateTooLarge(str(exc)) from None

    def loads(self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> BpmnWorkflow:
        dct = json.loads(text)
        if dct.pop(FORMAT_KEY, None) != FORMAT:
            raise StateError("status kasus bukan format Alur (tanpa spec)")
        self._serializer.migrate(dct)
        return self._serializer.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)

    @property
    def registry(self):
        """The converter registry (also what SpiffWorkflow's spec diff compares specs with)."""
        return self._serializer.registry

    @staticmethod
    def format_versions(text: str) -> tuple[str | None, str | None]:
        """(SpiffWorkflow serializer version, Alur format) recorded in a stored state."""
        dct = json.loads(text)
        return dct.get(BpmnWorkflowSerializer.VERSION_KEY), dct.get(FORMAT_KEY)


def _offending_key(workflow: BpmnWorkflow) -> str | None:
    for task in workflow.get_tasks():
        for key, value in task.data.items():
            try:
                json.dumps(value)
            except TypeError:
                return f"isian '{key}' bertipe {type(value).__name__} (tugas {task.task_spec.name})"
    return None


def embedded_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's own serializer (spec embedded): the reference our format is checked against."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


__all__ = ["StateSerializer", "StateError", "StateTooLarge", "SPIFF_FORMAT_VERSION", "embedded_serializer"]
