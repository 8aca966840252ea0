"""Alur's engine: everything that touches SpiffWorkflow, behind a small interface.

The web layer uses only the names exported here: running instances, the registry,
the lint and deploy checks, and version diff and migration.
"""

from engine.clock import FixedClock, SystemClock, now, set_global_clock, use_clock
from engine.deploy import DeployPlan, PlannedVersion, plan_deploy
from engine.errors import (
    DueTimerFailed,
    EngineError,
    NothingWaiting,
    NotHumanTask,
    NotInError,
    TaskNotFound,
    TaskNotReady,
    WrongLane,
)
from engine.forms import FieldError, FormFileError, FormInvalid, FormRef
from engine.lint import LintReport, Problem, lint_paths, lint_text
from engine.registry import (
    ProcessFileError,
    ProcessRegistry,
    ProcessVersion,
    StartInfo,
    TaskInfo,
    collect_sources,
    content_hash,
    executable_process_ids,
    read_directory,
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
from engine.versions import (
    ElementChange,
    FlowChange,
    MigrationCheck,
    MigrationRefused,
    VersionDiff,
    check_migration,
    diff_versions,
    migrate,
)
from engine.workdays import WorkCalendar

__all__ = [
    "STATUS_COMPLETE",
    "STATUS_ERROR",
    "STATUS_RUNNING",
    "STATUS_WAITING",
    "CompletedStep",
    "DeployPlan",
    "DueTimerFailed",
    "ElementChange",
    "Engine",
    "EngineError",
    "EngineEvent",
    "FieldError",
    "FixedClock",
    "FlowChange",
    "FormFileError",
    "FormInvalid",
    "FormRef",
    "HumanTask",
    "InstanceView",
    "LintReport",
    "MigrationCheck",
    "MigrationRefused",
    "NotHumanTask",
    "NotInError",
    "NothingWaiting",
    "OutgoingMessage",
    "PlannedVersion",
    "Problem",
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
    "VersionDiff",
    "WaitingTimer",
    "WorkCalendar",
    "WrongLane",
    "check_migration",
    "collect_sources",
    "content_hash",
    "executable_process_ids",
    "read_directory",
    "diff_versions",
    "lint_paths",
    "lint_text",
    "migrate",
    "now",
    "plan_deploy",
    "set_global_clock",
    "use_clock",
]
