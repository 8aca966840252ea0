"""Deploying changed diagrams and forms: lint everything, then store new versions, or store nothing.

Used by the analysts' upload (API and page) and by `alur deploy`. The files are
untrusted: `engine.deploy.plan_deploy` checks names, sizes, XML without DTDs or
entities, and the full lint (XSD, lanes, forms, timers, sandbox compile of every
script). The upload is checked together with the versions now current, so a
form-only upload re-checks, and re-versions, every diagram that uses the form.

The database is the source of truth for deployed versions (each row keeps its
exact sources); nothing is written to processes/ or forms/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app

from api.auth import Principal
from api.db import db
from api.models import Instance, ProcessVersionRow, Role, RoleGrant
from api.services.organization import ensure_roles
from api.services.versions import runtime
from engine import PlannedVersion, Problem, ProcessFileError, lane_names, plan_deploy

SEED_FILE = Path(__file__).resolve().parent.parent / "seed_data.json"
_FORM_PROPERTY = re.compile(r'name="form(?:Json|Ui)SchemaFilename"\s+value="([^"]+)"')


@dataclass(frozen=True)
class DeployedVersion:
    process_id: str
    number: int | None  # None in a dry run for a version not stored yet
    hash: str
    outcome: str  # created, reactivated, unchanged (or would_create / would_reactivate in a dry run)
    previous: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"process_id": self.process_id, "number": self.number, "hash": self.hash,
                "outcome": self.outcome, "previous": self.previous}


@dataclass
class DeployResult:
    problems: list[Problem] = field(default_factory=list)
    versions: list[DeployedVersion] = field(default_factory=list)
    # Lanes of the upload that name no role: refused unless create_roles, then created (or, dry run, would be).
    missing_roles: list[str] = field(default_factory=list)
    roles_created: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return any(v.outcome != "unchanged" for v in self.versions)

    def message(self) -> str:
        if not self.ok:
            hint = (f"; peran yang belum ada: {', '.join(self.missing_roles)} "
                    "(pasang dengan 'buat peran yang belum ada' / --create-roles, atau buat perannya dulu)"
                    ) if self.missing_roles else ""
            return f"pemasangan ditolak: {len(self.problems)} masalah; tidak ada yang disimpan{hint}"
        roles = f"; peran baru: {', '.join(self.roles_created)}" if self.roles_created else ""
        if not self.changed:
            return "tidak ada perubahan: isi sama dengan versi yang berlaku" + roles
        return "; ".join(_describe(v) for v in self.versions if v.outcome != "unchanged") + roles


def _describe(v: DeployedVersion) -> str:
    """What happened, or in a dry run what would: a check must not read as if something was stored."""
    number = f"v{v.number}" if v.number is not None else "versi baru"
    before = f" (sebelumnya v{v.previous})" if v.previous else ""
    if v.outcome == "would_reactivate":
        return f"{v.process_id}: {number} akan berlaku lagi{before}"
    if v.outcome == "reactivated":
        return f"{v.process_id}: {number} berlaku lagi{before}"
    if v.outcome == "would_create":
        return f"{v.process_id}: {number} akan dibuat{before}"
    return f"{v.process_id}: {number} dibuat{before}"


def problem_json(problem: Problem) -> dict[str, Any]:
    """A lint finding as the API shows it (and as an error `fields` entry: field = the file)."""
    return {"field": problem.file, "file": problem.file, "line": problem.line, "element": problem.element,
            "message": problem.message}


@dataclass
class Upload:
    """Uploaded files sorted into diagrams (`x.bpmn`) and forms (`forms/<path>.json`), with the names as sent."""

    bpmn: dict[str, bytes | str] = field(default_factory=dict)
    forms: dict[str, bytes | str] = field(default_factory=dict)  # path under forms/
    sent_as: dict[str, str] = field(default_factory=dict)  # engine's file name -> the uploaded name
    problems: list[Problem] = field(default_factory=list)

    def as_sent(self, problem: Problem) -> Problem:
        """The problem named by the file as the analyst sent it (the engine sees forms without `forms/`)."""
        return replace(problem, file=self.sent_as.get(problem.file, problem.file))


def split_upload(files: Mapping[str, bytes | str]) -> Upload:
    upload = Upload()
    for name, content in files.items():
        clean = name.replace("\\", "/").removeprefix("processes/")
        if clean.endswith(".bpmn"):
            upload.bpmn[clean] = content
            upload.sent_as[clean] = name
        elif clean.startswith("forms/") and clean.endswith(".json"):
            upload.forms[clean.removeprefix("forms/")] = content
            upload.sent_as[clean.removeprefix("forms/")] = name
        else:
            upload.problems.append(Problem(name, None, None,
                                           "berkas tidak dikenal: hanya *.bpmn dan forms/<proses>/<nama>.json"))
    return upload


def form_upload_name(filename: str, folder: str, uploaded_bpmn: Mapping[str, str]) -> str:
    """The `forms/<path>` name of a form file chosen in a browser, which sends only its bare file name.

    A path sent along is kept; else the folder given by the analyst is used; else the one path
    with this file name that an uploaded or current diagram names. Anything else stays under
    `forms/` as sent, and the deploy reports it as a form no diagram names.
    """
    clean = filename.replace("\\", "/").removeprefix("processes/")
    if clean.startswith("forms/"):
        return clean
    if "/" in clean:
        return f"forms/{clean}"
    if folder.strip("/ "):
        return f"forms/{folder.strip('/ ')}/{clean}"
    current_bpmn, _forms = _current_files()
    named = {ref for text in [*current_bpmn.values(), *uploaded_bpmn.values()] for ref in _FORM_PROPERTY.findall(text)}
    matches = sorted(ref for ref in named if ref.rsplit("/", 1)[-1] == clean)
    return f"forms/{matches[0]}" if len(matches) == 1 else f"forms/{clean}"


def seed_roles(seed_file: Path = SEED_FILE) -> set[str]:
    """The roles of the seed data: its role list and the lanes it gives demo users."""
    if not seed_file.exists():
        return set()
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    return {r["name"] for r in data.get("roles", [])} | set(data.get("lane_scopes", {}))


def known_roles() -> set[str]:
    """Roles a lane may name: a role row, any role granted to someone, a lane of a current version, a seed role."""
    roles = set(db.session.execute(db.select(Role.name)).scalars())
    roles.update(db.session.execute(db.select(RoleGrant.role).distinct()).scalars())
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        if ref is not None:
            roles.update(ref.version.lanes)
    return roles | seed_roles()


def _current_files() -> tuple[dict[str, str], dict[str, str]]:
    """The diagrams and forms of every current version (what an upload is checked together with)."""
    bpmn: dict[str, str] = {}
    forms: dict[str, str] = {}
    for pid in runtime().process_ids():
        ref = runtime().current(pid)
        if ref is None:
            continue
        for name, text in ref.version.sources.items():
            if name.startswith("bpmn/"):
                bpmn[name.removeprefix("bpmn/")] = text
            elif name.startswith("forms/"):
                forms[name.removeprefix("forms/")] = text
    return bpmn, forms


def unreferenced_forms(upload: Upload, planned: list[PlannedVersion]) -> list[Problem]:
    """Uploaded forms that no diagram (uploaded or current) names: most likely a misspelt path.

    Refused rather than ignored: the analyst believes the form is live, and it never would be.
    """
    used = {name for version in planned for name in version.sources if name.startswith("forms/")}
    return [
        Problem(upload.sent_as.get(name, name), None, None,
                f"formulir forms/{name} tidak dirujuk diagram mana pun (formJsonSchemaFilename/"
                "formUiSchemaFilename); periksa nama dan foldernya, atau unggah diagram yang memakainya")
        for name in sorted(upload.forms) if f"forms/{name}" not in used
    ]


def deploy(
    files: Mapping[str, bytes | str],
    deployed_by: str,
    origin: str,
    note: str | None = None,
    *,
    dry_run: bool = False,
    create_roles: bool = False,
) -> DeployResult:
    """Lint the files with the current versions; on success store one version per changed process.

    A lane naming no known role is refused, each lane named; with `create_roles` those roles are
    created with the versions (a procedure's roles are declared by its lanes).
    Commits on success (one transaction for the whole deploy); on refusal or dry run nothing is stored.
    """
    upload = split_upload(files)
    if not files:
        upload.problems.append(Problem("(permintaan)", None, None, "tidak ada berkas yang dikirim"))
    if upload.problems:
        return DeployResult(problems=upload.problems)
    current_bpmn, current_forms = _current_files()
    roles = known_roles()
    missing = [lane for name, text in upload.bpmn.items() for lane in lane_names(text, name) if lane not in roles]
    missing = list(dict.fromkeys(missing))
    if create_roles:
        roles |= set(missing)
    plan = plan_deploy(upload.bpmn, upload.forms, current_bpmn, current_forms, roles)
    if not plan.ok:
        return DeployResult(problems=[upload.as_sent(p) for p in plan.problems],
                            missing_roles=[] if create_roles else missing)
    unused = unreferenced_forms(upload, plan.versions)
    if unused:
        return DeployResult(problems=unused)
    uploaded = {f"bpmn/{n}" for n in upload.bpmn} | {f"forms/{n}" for n in upload.forms}
    result = DeployResult(roles_created=missing)
    try:
        built = [(p, runtime().build(p.process_id, p.sources)) for p in plan.versions
                 if uploaded & set(p.sources)]  # a process the upload does not touch is left alone
    except ProcessFileError as exc:
        return DeployResult(problems=[Problem(exc.file or "?", exc.line, exc.element, exc.reason)])
    if dry_run:
        for planned, version in built:
            current = runtime().current(planned.process_id)
            row = db.session.execute(
                db.select(ProcessVersionRow.number).filter_by(process_id=planned.process_id, hash=version.hash)
            ).scalar_one_or_none()
            if current is not None and current.version.hash == version.hash:
                outcome = "unchanged"
            else:
                outcome = "would_reactivate" if row is not None else "would_create"
            result.versions.append(DeployedVersion(planned.process_id, row, version.hash, outcome,
                                                   current.number if current else None))
        db.session.rollback()
        return result
    if missing:
        ensure_roles(missing, f"dibuat saat pemasangan oleh {deployed_by}")
    for planned, version in built:
        done = runtime().register(version, deployed_by=deployed_by, origin=origin, note=note)
        result.versions.append(DeployedVersion(planned.process_id, done.ref.number, version.hash, done.outcome,
                                               done.previous))
    db.session.commit()
    runtime().refresh(force=True)
    return result


def deploy_paths(
    paths: list[Path], forms_dir: Path, deployed_by: str, origin: str, note: str | None = None, *,
    dry_run: bool = False, create_roles: bool = False,
) -> DeployResult:
    """`alur deploy`: .bpmn files (or folders of them) and .json form files, with the forms the diagrams name."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    forms_root = forms_dir.resolve()
    for path in paths:
        for file in (sorted(path.glob("*.bpmn")) if path.is_dir() else [path]):
            resolved = file.resolve()
            if file.suffix == ".bpmn":
                files[file.name] = file.read_text(encoding="utf-8")
            elif file.suffix == ".json" and forms_root in resolved.parents:
                files["forms/" + resolved.relative_to(forms_root).as_posix()] = file.read_text(encoding="utf-8")
            else:
                problems.append(Problem(str(file), None, None, "bukan berkas .bpmn atau formulir di folder forms"))
    for name, text in list(files.items()):
        if name.endswith(".bpmn"):
            for form in _FORM_PROPERTY.findall(text):
                path = (forms_root / form).resolve()
                if forms_root in path.parents and path.is_file():
                    files.setdefault(f"forms/{form}", path.read_text(encoding="utf-8"))
                # a missing form is reported by the lint, with the diagram's line
    if problems:
        return DeployResult(problems=problems)
    return deploy(files, deployed_by, origin, note, dry_run=dry_run, create_roles=create_roles)


# -- what the analysts' page shows --------------------------------------------------


def list_versions(process_id: str) -> list[dict[str, Any]]:
    """Every version of a process, newest first: number, hash, who deployed it, when, note, current, instances.

    `instances` counts the instances on that version by status (one grouped query).
    """
    rows = db.session.execute(
        db.select(ProcessVersionRow.id, ProcessVersionRow.number, ProcessVersionRow.hash, ProcessVersionRow.name,
                  ProcessVersionRow.deployed_by, ProcessVersionRow.origin, ProcessVersionRow.note,
                  ProcessVersionRow.created_at, ProcessVersionRow.activation, ProcessVersionRow.activated_at,
                  ProcessVersionRow.activated_by)
        .filter_by(process_id=process_id)
        .order_by(ProcessVersionRow.number.desc())
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for version_id, status, count in db.session.execute(
        db.select(Instance.version_id, Instance.status, db.func.count())
        .where(Instance.process_id == process_id)
        .group_by(Instance.version_id, Instance.status)
    ).all():
        counts.setdefault(version_id, {})[status] = count
    current = max(rows, key=lambda r: r.activation).id if rows else None
    return [
        {
            "number": r.number,
            "hash": r.hash,
            "short_hash": r.hash[:12],
            "name": r.name,
            "deployed_by": r.deployed_by,
            "origin": r.origin,
            "note": r.note,
            "created_at": r.created_at.isoformat(),
            "activated_at": r.activated_at.isoformat(),
            "activated_by": r.activated_by,
            "current": r.id == current,
            "instances": counts.get(r.id, {}),
            "instances_total": sum(counts.get(r.id, {}).values()),
        }
        for r in rows
    ]


def version_files(process_id: str, number: int) -> dict[str, str] | None:
    """The exact files of one version ("bpmn/<file>", "forms/<path>" -> text), e.g. to download or show them."""
    return db.session.execute(
        db.select(ProcessVersionRow.sources).filter_by(process_id=process_id, number=number)
    ).scalar_one_or_none()


# -- who may deploy and migrate ---------------------------------------------------------

ANALYST_ROLE = "Analis Proses"


def analyst_role() -> str:
    return current_app.config.get("ALUR_ANALYST_ROLE", ANALYST_ROLE)


def may_deploy(principal: Principal) -> bool:
    """A deploy changes a procedure for every region: analysts or admins granted everywhere ('')."""
    # Not `holds(role, "")`: any prefix holds the empty region, and a kecamatan admin must not deploy.
    return "" in principal.prefixes(analyst_role()) + principal.prefixes(current_app.config["ALUR_ADMIN_ROLE"])


def manager_prefixes(principal: Principal) -> list[str]:
    """Region prefixes within which the user may migrate instances (analyst or admin grants)."""
    return principal.prefixes(analyst_role()) + principal.prefixes(current_app.config["ALUR_ADMIN_ROLE"])


def may_view_versions(principal: Principal) -> bool:
    return bool(manager_prefixes(principal) or principal.prefixes(current_app.config["ALUR_VIEWER_ROLE"]))
