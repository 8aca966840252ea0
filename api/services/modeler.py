"""What the analysts' modeler asks of the server: the roles a lane may name, the lint of a draft,
and saving a draft through the deploy gate (lint, dry run of moving running instances, confirm).

The modeler sends the whole diagram and the forms edited in the browser. Lint and deploy are the
ones uploads use (`engine.lint_text`, `api.services.deploy.deploy`); the dry run is the one the
diff page shows (`api.services.migration.dry_run`), here against the version the draft would make,
before it is stored. Nothing is stored until the analyst confirms.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from api.services import deploy as deploys
from api.services import migration
from api.services.instances import Actor
from api.services.versions import VersionRef, runtime
from engine import Problem, ProcessFileError, diff_versions, lint_text, plan_deploy

# Instances a move can still take; finished ones stay on their version (as on the diff page).
OPEN_STATUSES = ("running", "waiting", "error", "suspended")
SHOWN_RESULTS = 50  # instances listed one by one under the dry-run totals
BUDGET_SECONDS = 20.0  # a request's time for checking or moving instances, inside the server's timeout
UNSTORED = -1  # row id of a version not stored yet: no instance is on it


def role_names() -> list[str]:
    """The roles a lane may name, for the modeler's picker (one function, so where roles live can change)."""
    return sorted(deploys.known_roles())


def draft_files(filename: str, xml: str, forms: Mapping[str, str]) -> dict[str, str]:
    """A draft as the deploy takes it: the diagram by file name, each edited form as `forms/<path>`."""
    files = {filename: xml}
    files.update({f"forms/{path.removeprefix('forms/')}": text for path, text in forms.items()})
    return files


# SpiffWorkflow's own refusals that an edit in the modeler commonly meets, in the analysts' language.
SPIFF_MESSAGES = [
    (re.compile(r"^Non-default exclusive outgoing sequence flow without condition.*", re.S),
     "alur keluar gateway eksklusif tanpa kondisi padahal bukan alur default"),
    (re.compile(r"^No start event found.*", re.S), "proses tidak punya start event"),
    (re.compile(r"^Process (\S+) is not executable.*", re.S),
     r"proses \1 tidak ditandai dapat dijalankan (isExecutable)"),
    (re.compile(r"^Duplicate process ID: (\S+).*", re.S), r"id proses \1 dipakai lebih dari sekali"),
]


def _in_indonesian(problem: Problem) -> Problem:
    for pattern, text in SPIFF_MESSAGES:
        if pattern.match(problem.message):
            return replace(problem, message=pattern.sub(text, problem.message, count=1))
    return problem


def lint_draft(filename: str, xml: str, forms: Mapping[str, str]) -> list[Problem]:
    """The server's lint of a diagram being edited; forms not sent are read from the current versions."""
    _bpmn, current_forms = deploys._current_files()
    sent = {path.removeprefix("forms/"): text for path, text in forms.items()}
    problems = lint_text(xml, filename, lambda name: sent.get(name, current_forms.get(name)), deploys.known_roles())
    return [_in_indonesian(p) for p in problems]


def file_owner(filename: str) -> str | None:
    """The process whose current version is stored under this diagram file name, if any."""
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        if ref is not None and f"bpmn/{filename}" in ref.version.sources:
            return pid
    return None


@dataclass
class Plan:
    """The dry run of moving a process's open instances to the draft's version."""

    open: int = 0
    results: list[migration.InstanceResult] = field(default_factory=list)
    changes: list[dict[str, Any]] | None = None  # what the draft changes, element by element; None: a new process

    def as_dict(self) -> dict[str, Any]:
        reasons = Counter(reason for r in self.results if not r.ok for reason in r.reasons)
        return {
            "open": self.open, "total": len(self.results), "movable": sum(r.ok for r in self.results),
            "refused": sum(not r.ok for r in self.results), "reasons": reasons.most_common(),
            "timers": sum(bool(r.timers) for r in self.results),
            "results": [r.as_dict() for r in self.results[:SHOWN_RESULTS]], "changes": self.changes,
        }


def changes_from_current(target: VersionRef) -> list[dict[str, Any]] | None:
    """The draft against the current version, as the diff page counts it: steps and flows added, removed, changed."""
    current = runtime().current(target.version.process_id)
    if current is None:
        return None
    diff = diff_versions(current.version, target.version)
    out = [{"id": e.element_id, "title": e.title, "change": change, "fields": sorted(e.changes)}
           for change, items in (("ditambah", diff.added), ("dihapus", diff.removed), ("diubah", diff.changed))
           for e in items]
    out += [{"id": f.flow_id, "title": f.flow_id, "change": change, "fields": []}
            for change, items in (("ditambah", diff.flows_added), ("dihapus", diff.flows_removed)) for f in items]
    out += [{"id": new.flow_id, "title": new.flow_id, "change": "diubah", "fields": ["alur"]}
            for _old, new in diff.flows_changed]
    return out


def _draft_versions(files: Mapping[str, str], new_roles: list[str] | None = None) -> list[VersionRef]:
    """The versions the draft would make, built (parsed) but not stored, as migration targets; `new_roles` are
    the roles the deploy would create for the draft's lanes."""
    upload = deploys.split_upload(files)
    current_bpmn, current_forms = deploys._current_files()
    roles = deploys.known_roles() | set(new_roles or [])
    planned = plan_deploy(upload.bpmn, upload.forms, current_bpmn, current_forms, roles)
    sent = {f"bpmn/{n}" for n in upload.bpmn} | {f"forms/{n}" for n in upload.forms}
    refs = []
    for version in planned.versions:
        current = runtime().current(version.process_id)
        if sent & set(version.sources) and (current is None or current.version.hash != version.hash):
            refs.append(VersionRef(runtime().build(version.process_id, version.sources), UNSTORED, 0))
    return refs


def plan_moves(target: VersionRef, prefixes: list[str]) -> Plan:
    """Which open instances of the target's process could move to it, and why not; changes nothing."""
    pid = target.version.process_id
    ids = migration.select_instances(pid, target=target, statuses=OPEN_STATUSES, prefixes=prefixes)
    plan, started = Plan(open=len(ids)), time.monotonic()
    for first in range(0, len(ids), migration.CHUNK):
        if time.monotonic() - started > BUDGET_SECONDS:
            break
        plan.results += migration.dry_run(pid, ids[first:first + migration.CHUNK], target, prefixes).results
    return plan


def check_draft(files: Mapping[str, str], prefixes: list[str],
                create_roles: bool = False) -> tuple[deploys.DeployResult, dict[str, Plan]]:
    """The deploy's dry run (lint and the versions it would make; with `create_roles`, as the deploy creating the
    roles its new lanes name) and, when it passes, the move plan per process."""
    result = deploys.deploy(files, "", "modeler", dry_run=True, create_roles=create_roles)
    if not result.ok or not result.changed:
        return result, {}
    try:
        targets = _draft_versions(files, result.roles_created)
    except ProcessFileError as exc:  # the deploy's dry run parsed the same files; kept for a clear refusal
        return deploys.DeployResult(problems=[Problem(exc.file or "?", exc.line, exc.element, exc.reason)]), {}
    plans = {}
    for target in targets:
        plans[target.version.process_id] = plan_moves(target, prefixes)
        plans[target.version.process_id].changes = changes_from_current(target)
    return result, plans


@dataclass
class Moves:
    moved: int = 0
    refused: int = 0
    timers: int = 0
    left: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"moved": self.moved, "refused": self.refused, "timers": self.timers, "left": self.left}


def move_instances(process_id: str, number: int, actor: Actor, prefixes: list[str]) -> Moves:
    """Move the open instances that can move to version `number`, each in its own transaction.

    The engine checks each one again: an instance that moved on since the dry run is refused
    with its reason, never forced. What the time budget leaves is counted in `left`.
    """
    target = migration.target_version(process_id, number)
    ids = migration.select_instances(process_id, target=target, statuses=OPEN_STATUSES, prefixes=prefixes)
    moves, started = Moves(), time.monotonic()
    for instance_id in ids:
        if time.monotonic() - started > BUDGET_SECONDS:
            moves.left = len(ids) - moves.moved - moves.refused
            break
        result = migration.migrate_one(process_id, instance_id, target, actor, prefixes)
        if result.outcome == "migrated":
            moves.moved += 1
            moves.timers += bool(result.timers)
        else:
            moves.refused += 1
    return moves
