"""Tasks waiting for a person: what the inbox lists and the checks before one is completed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import NotHumanTask, TaskNotReady
from engine.forms import FormRef
from engine.registry import ProcessVersion, TaskInfo
from engine.tasks import find_task, task_title
from engine.timers import task_due


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


def ready_human_tasks(workflow: BpmnWorkflow, version: ProcessVersion) -> list[HumanTask]:
    result = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        info = version.tasks.get(task.task_spec.name)
        result.append(
            HumanTask(
                id=str(task.id),
                name=task.task_spec.name,
                title=task_title(task),
                lane=task.task_spec.lane,
                form=info.form if info else None,
                due=task_due(task),
                instructions=info.instructions if info else None,
                unit=_unit(task, info),
            )
        )
    return result


def ready_human_ids(workflow: BpmnWorkflow) -> set[str]:
    return {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def ready_human_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    """The task a person may complete now: it exists, is a human step and is READY."""
    task = find_task(workflow, task_id)
    if not task.task_spec.manual:
        raise NotHumanTask(f"tugas {task.task_spec.name} dijalankan mesin, bukan oleh petugas")
    if task.state != TaskState.READY:
        state = TaskState.get_name(task.state)
        raise TaskNotReady(f"tugas {task_title(task)} tidak menunggu dikerjakan (status {state})")
    return task


def _unit(task: Task, info: TaskInfo | None) -> str | None:
    """The unit a task is routed to: the value of its `unitField` in the task's data, as text."""
    if info is None or not info.unit_field:
        return None
    value = task.data.get(info.unit_field)
    return str(value) if value not in (None, "") else None
