"""Checking new or changed diagram and form files before they become versions.

Used by `alur deploy` and the analysts' upload. Uploaded files are untrusted: names
must be plain relative paths, sizes are bounded, XML is parsed without DTDs or
entities, and every file must pass the same lint an analyst runs locally (XSD,
lanes, forms, timers, sandbox compile of every script). Only when nothing is wrong
does the plan list the versions to create, each as its exact sources.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.lint import Problem, lint_text
from engine.registry import (
    MAX_BPMN_BYTES,
    MAX_FORM_BYTES,
    ProcessFileError,
    collect_sources,
    content_hash,
    executable_process_ids,
)

BPMN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.bpmn$")
FORM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,60}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,100})*\.json$")


@dataclass(frozen=True)
class PlannedVersion:
    process_id: str
    hash: str
    sources: dict[str, str]


@dataclass
class DeployPlan:
    problems: list[Problem] = field(default_factory=list)
    versions: list[PlannedVersion] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(name: str, data: bytes | str, limit: int, problems: list[Problem]) -> str | None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > limit:
        problems.append(Problem(name, None, None, f"berkas terlalu besar ({len(raw)} bita; batas {limit})"))
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(name, None, None, "berkas bukan teks UTF-8"))
        return None


def plan_deploy(
    bpmn_files: Mapping[str, bytes | str],
    form_files: Mapping[str, bytes | str],
    current_bpmn: Mapping[str, str] | None = None,
    current_forms: Mapping[str, str] | None = None,
    known_roles: set[str] | None = None,
) -> DeployPlan:
    """Lint the new files together with the current ones; list the versions they make.

    `bpmn_files`/`form_files` are the upload (file name / path under forms -> content);
    `current_*` are the files already live, which the upload overrides by name.
    """
    plan = DeployPlan()
    bpmn: dict[str, str] = dict(current_bpmn or {})
    forms: dict[str, str] = dict(current_forms or {})
    uploaded: list[str] = []
    for name, data in bpmn_files.items():
        if not BPMN_NAME.match(name):
            plan.problems.append(Problem(name, None, None, "nama berkas BPMN tidak sah (hanya huruf, angka, _ . -)"))
        elif (text := _decode(name, data, MAX_BPMN_BYTES, plan.problems)) is not None:
            bpmn[name] = text
            uploaded.append(name)
    for name, data in form_files.items():
        if not FORM_NAME.match(name) or ".." in name:
            plan.problems.append(Problem(name, None, None, "nama berkas formulir tidak sah"))
        elif (text := _decode(name, data, MAX_FORM_BYTES, plan.problems)) is not None:
            forms[name] = text
    if plan.problems:
        return plan
    for name in sorted(set(uploaded) | _files_using(bpmn, set(form_files))):
        plan.problems.extend(lint_text(bpmn[name], name, forms.get, known_roles))
    if plan.problems:
        return plan
    try:
        for process_id in sorted(executable_process_ids(bpmn)):
            sources = collect_sources(process_id, bpmn, forms)
            plan.versions.append(PlannedVersion(process_id, content_hash(sources), sources))
    except ProcessFileError as exc:
        plan.problems.append(Problem(exc.file or "?", exc.line, exc.element, exc.reason))
    return plan


def _files_using(bpmn: Mapping[str, str], form_names: set[str]) -> set[str]:
    """Diagrams that name one of the uploaded forms (a form-only change re-lints its diagram)."""
    return {name for name, text in bpmn.items() if any(f'value="{form}"' in text for form in form_names)}
