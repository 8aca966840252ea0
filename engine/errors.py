"""Errors the engine raises to its callers; each says what was wrong in Indonesian."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every refusal by the engine (the caller maps these to 4xx answers)."""

    code = "engine_error"


class TaskNotFound(EngineError):
    code = "task_not_found"


class TaskNotReady(EngineError):
    """The task exists but is not waiting for a person now (done, cancelled, not reached)."""

    code = "task_not_ready"


class NotHumanTask(EngineError):
    code = "not_human_task"


class WrongLane(EngineError):
    """The caller claims a role the task's lane does not name."""

    code = "wrong_lane"


class NothingWaiting(EngineError):
    """A message or signal that no task of the instance waits for."""

    code = "nothing_waiting"


class NotInError(EngineError):
    code = "not_in_error"


class DueTimerFailed(EngineError):
    """A timer already due failed when fired before the operation; the worker fires it and records the error."""

    code = "due_timer_failed"
