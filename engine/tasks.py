"""Reading SpiffWorkflow's task tree: a task by id, the title people see, which tasks are diagram steps."""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.task import Task

from engine.errors import TaskNotFound


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task:
    """The task with this id, or TaskNotFound (a malformed id is not found either)."""
    try:
        task = workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, TaskNotFoundException):
        task = None
    if task is None:
        raise TaskNotFound(f"tugas {task_id} tidak ada pada kasus ini")
    return task


def task_title(task: Task) -> str:
    """The element's label in the diagram, else its id."""
    return task.task_spec.bpmn_name or task.task_spec.name


def is_flow_node(task: Task) -> bool:
    """A step drawn in the diagram, not one of SpiffWorkflow's own helper tasks."""
    return bool(task.task_spec.bpmn_id) and not isinstance(task.task_spec, BoundaryEventSplit)
