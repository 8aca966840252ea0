"""Alur's engine: everything that touches SpiffWorkflow, behind a small interface.

The web layer uses only the names exported here.
"""

from engine.clock import FixedClock, SystemClock, now, set_global_clock, use_clock
from engine.errors import (
    EngineError,
    NothingWaiting,
    NotHumanTask,
    NotInError,
    TaskNotFound,
    TaskNotReady,
    WrongLane,
)
from engine.forms import FieldError, FormFileError, FormInvalid, FormRef
from engine.registry import (
    ProcessFileError,
    ProcessRegistry,
    ProcessVersion,
    StartInfo,
    TaskInfo,
    content_hash,
)
from engine.runtime import (
    STATUS_COMPLETE,
    STATUS_ERROR,
    STATUS_RUNNING,
    STATUS_WAITING,
    CompletedStep,
    Engine,
    EngineEvent,
    HumanTask,
    InstanceView,
    OutgoingMessage,
    StepResult,
    WaitingTimer,
)
from engine.sandbox import SandboxViolation, ScriptBudgetExceeded, ScriptError
from engine.serializer import StateError
from engine.workdays import WorkCalendar

__all__ = [
    "STATUS_COMPLETE",
    "STATUS_ERROR",
    "STATUS_RUNNING",
    "STATUS_WAITING",
    "CompletedStep",
    "Engine",
    "EngineError",
    "EngineEvent",
    "FieldError",
    "FixedClock",
    "FormFileError",
    "FormInvalid",
    "FormRef",
    "HumanTask",
    "InstanceView",
    "NotHumanTask",
    "NotInError",
    "NothingWaiting",
    "OutgoingMessage",
    "ProcessFileError",
    "ProcessRegistry",
    "ProcessVersion",
    "SandboxViolation",
    "ScriptBudgetExceeded",
    "ScriptError",
    "StartInfo",
    "StateError",
    "StepResult",
    "SystemClock",
    "TaskInfo",
    "TaskNotFound",
    "TaskNotReady",
    "WaitingTimer",
    "WorkCalendar",
    "WrongLane",
    "content_hash",
    "now",
    "set_global_clock",
    "use_clock",
]
