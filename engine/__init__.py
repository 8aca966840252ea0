"""Alur's engine: everything that touches SpiffWorkflow, behind a small interface.

The web layer uses only the names exported here: running instances, the registry,
the lint and deploy checks, and version diff and migration.
"""

from engine.clock import FixedClock, SystemClock, now, set_global_clock, use_clock
from engine.deploy import BPMN_NAME, DeployPlan, PlannedVersion, plan_deploy
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
from engine.events import EngineEvent
from engine.form_bounds import hint as date_hint
from engine.forms import (
    NOT_FINITE,
    FieldError,
    FormFileError,
    FormInvalid,
    FormRef,
    indonesian_number,
    non_finite_paths,
    parse_form,
)
from engine.human_tasks import HumanTask
from engine.lint import LintReport, Problem, lane_names, lint_paths, lint_text
from engine.messages import OutgoingMessage, WaitingMessage
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
from engine.runtime import Engine
from engine.sandbox import SandboxViolation, ScriptBudgetExceeded, ScriptError
from engine.serializer import StateError, StateTooLarge
from engine.snapshot import STATUS_COMPLETE, STATUS_ERROR, STATUS_RUNNING, STATUS_WAITING, CompletedStep, InstanceView
from engine.step_result import StepResult
from engine.timers import WaitingTimer
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
    "BPMN_NAME",
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
    "date_hint",
    "NOT_FINITE",
    "non_finite_paths",
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
    "StateTooLarge",
    "StepResult",
    "SystemClock",
    "TaskInfo",
    "TaskNotFound",
    "TaskNotReady",
    "VersionDiff",
    "WaitingMessage",
    "WaitingTimer",
    "WorkCalendar",
    "WrongLane",
    "check_migration",
    "collect_sources",
    "content_hash",
    "executable_process_ids",
    "indonesian_number",
    "read_directory",
    "diff_versions",
    "lane_names",
    "lint_paths",
    "lint_text",
    "parse_form",
    "migrate",
    "now",
    "plan_deploy",
    "set_global_clock",
    "use_clock",
]
