"""What services answer and presenters read.

The layers go one way: routes call a service, then hand its result to a presenter. These
dataclasses are that hand-over, so a service never formats an answer and a presenter never
goes back to a service (or the registry) for what the answer needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.models import Instance, PendingTask
from engine import InstanceView, ProcessVersion


@dataclass(frozen=True)
class VersionRef:
    """A registered version with its database row."""

    version: ProcessVersion
    row_id: int
    number: int


@dataclass(frozen=True)
class Started:
    """A started instance with its version; `replayed` when an idempotency key had started it before."""

    instance: Instance
    ref: VersionRef
    replayed: bool


@dataclass(frozen=True)
class Acted:
    """An instance after an admin action on it (suspend, resume, cancel, retry), with its version."""

    instance: Instance
    ref: VersionRef


@dataclass(frozen=True)
class Completion:
    """A completed task: the instance afterwards, its version, and its pending tasks the completer may act on."""

    instance: Instance
    ref: VersionRef
    next_tasks: list[PendingTask]


@dataclass(frozen=True)
class Inspection:
    """An instance as an admin-scope reader may see it: data and messages already redacted for them.

    `view` is None when the stored state cannot be loaded; `state_problem` then says why.
    """

    instance: Instance
    ref: VersionRef
    tasks: list[PendingTask]
    events: list[dict[str, Any]]
    view: InstanceView | None
    state_problem: str | None
    data: dict[str, Any]
    links: dict[str, list[dict[str, Any]]]
    outbox: list[dict[str, Any]]
