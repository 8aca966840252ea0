"""The process registry for this app: versions live in the database; each worker caches them parsed.

Parsing a diagram costs milliseconds, so each version is parsed once per process
and cached; a request only looks it up. Instances keep running on the version
they started on: a version no longer on disk is rebuilt from its stored sources.

Which version *new* instances start on is decided by the database, not by the
memory of one worker: gunicorn runs several processes and a deploy (upload or
`alur deploy`) happens in only one of them. Every version row has an `activation`
number from one counter; the current version of a process is its row with the
highest activation. Each request compares `max(activation)` (an indexed lookup)
with the value this worker last saw and reloads the small current-version map
when it moved, so no worker starts an instance on a superseded version.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from api.db import db
from api.models import ORIGIN_FILES, ProcessVersionRow, Role
from api.results import VersionRef
from engine import (
    Engine,
    Problem,
    ProcessFileError,
    ProcessRegistry,
    ProcessVersion,
    collect_sources,
    content_hash,
    executable_process_ids,
    lint_text,
    now,
    read_directory,
)

log = logging.getLogger(__name__)
_ATTEMPTS = 5  # a concurrent deploy can take the same number or activation; then we read again and retry
_LINT_CACHE: dict[str, list[Problem]] = {}  # content key -> problems: the same text always lints the same
_LINT_CACHE_SIZE = 512


@dataclass(frozen=True)
class Registered:
    """What storing a version did: created a new row, re-activated an older one, or nothing."""

    ref: VersionRef
    outcome: str  # "created", "reactivated", "unchanged"
    previous: int | None  # the number that was current before


class Runtime:
    """Per-app engine, registry and version rows; safe to share between request threads."""

    def __init__(self, processes_dir: Path, forms_dir: Path, calendar_file: Path | None,
                 max_data_bytes: int | None = None) -> None:
        self.processes_dir, self.forms_dir = processes_dir, forms_dir
        if calendar_file is None and (processes_dir / "hari_libur.json").exists():
            calendar_file = processes_dir / "hari_libur.json"
        self.engine = Engine(calendar_file=calendar_file, data_dir=processes_dir, max_data_bytes=max_data_bytes)
        self.registry = ProcessRegistry()
        self._by_key: dict[tuple[str, str], VersionRef] = {}
        self._by_row: dict[int, VersionRef] = {}
        self._current: dict[str, VersionRef] = {}
        self._generation: int | None = None  # max(activation) the current map was loaded at
        self._personal: dict[str, frozenset[str]] = {}
        self._lock = threading.RLock()
        self._synced = False

    # -- start-up ----------------------------------------------------------------

    def ensure_synced(self) -> None:
        if not self._synced:
            with self._lock:
                if not self._synced:
                    self.sync()
                    self._synced = True

    def use_stored_only(self) -> None:
        """Serve the versions stored in the database without reading processes/ first.

        For read-only tools (`alur lint`): syncing would store the very files being
        checked as a new version, and a broken one would stop them before they report.
        """
        self._synced = True

    def sync(self) -> list[VersionRef]:
        """Compare processes/ and forms/ with the stored versions; store what changed. Returns the new ones.

        A file whose content is new becomes the next version (v1, v2, ... per process), but only
        after the lint a deploy runs: a file with problems is logged with each problem and is not
        made a version, so the version already current stays current. Only whether each lane is a
        role someone holds is left to deploys: at a first start the users are seeded after this.
        Files that match an older version make it current again only when the current one also
        came from the files (a developer reverting an edit); a version deployed by upload or CLI
        is not undone by a restart with older files on disk.
        """
        added = []
        for version in self._clean_versions_on_disk():
            # The first version of a process is read from the files, not changed in them.
            first = self._current_row(version.process_id) is None
            note = "versi pertama, dari berkas di processes/ dan forms/" if first else \
                "berkas di processes/ atau forms/ berubah"
            done = self.register(version, deployed_by="sistem", origin=ORIGIN_FILES, note=note,
                                 only_if_from=ORIGIN_FILES)
            if done.outcome != "unchanged":
                log.info("%s %s v%s (%s) from the files on disk", done.outcome, version.process_id,
                         done.ref.number, version.short_hash)
            if done.outcome == "created":
                added.append(done.ref)
            self._declare_roles(version.lanes)
        db.session.commit()
        self.refresh(force=True)
        return added

    @staticmethod
    def _declare_roles(lanes: list[str]) -> None:
        """The files' lanes are their roles: make the missing role rows (another worker may race us to it)."""
        known = set(db.session.execute(db.select(Role.name).where(Role.name.in_(lanes))).scalars()) if lanes else set()
        for lane in lanes:
            if lane in known:
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(Role(name=lane, description="peran dari diagram di processes/", created_at=now()))
            except IntegrityError:
                pass  # made meanwhile by another worker

    def _clean_versions_on_disk(self) -> list[ProcessVersion]:
        """The processes on disk whose files pass the lint, parsed; a failing file is logged and left out."""
        if not self.processes_dir.exists():
            return []
        bpmn_files, form_texts = read_directory(self.processes_dir, self.forms_dir)
        forms_key = content_hash({f"forms/{k}": v for k, v in form_texts.items()})
        clean: dict[str, str] = {}
        for name, text in bpmn_files.items():
            problems = _cached_lint(f"{forms_key}:{content_hash({name: text})}",
                                    partial(lint_text, text, name, form_texts.get, None))
            if problems:
                log.error("%s not registered: %d lint problem(s); the current version stays current\n%s",
                          name, len(problems), "\n".join("  " + p.format() for p in problems))
            else:
                clean[name] = text
        versions = []
        for process_id in sorted(executable_process_ids(clean)):
            try:
                sources = collect_sources(process_id, clean, form_texts)
                with self._lock:
                    versions.append(self.registry.add(process_id, sources))
            except ProcessFileError as exc:  # e.g. a called process that lives in a file refused above
                log.error("process %s not registered: %s (%s line %s)", process_id, exc.reason, exc.file, exc.line)
        return versions

    def register(
        self,
        version: ProcessVersion,
        *,
        deployed_by: str,
        origin: str,
        note: str | None = None,
        only_if_from: str | None = None,
    ) -> Registered:
        """Make `version` the current one of its process in the session (the caller commits).

        New content gets the next number; content equal to an older version re-activates that row
        (unless `only_if_from` names an origin the current version does not have).
        """
        for attempt in range(_ATTEMPTS):
            try:
                with db.session.begin_nested():
                    return self._register_once(version, deployed_by, origin, note, only_if_from)
            except IntegrityError:  # another worker or deploy took the number or activation first
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _register_once(
        self, version: ProcessVersion, deployed_by: str, origin: str, note: str | None, only_if_from: str | None
    ) -> Registered:
        current = self._current_row(version.process_id)
        previous = current.number if current is not None else None
        row = self._row_for(version.process_id, version.hash)
        if row is not None and current is not None and row.id == current.id:
            return Registered(self._remember(version, row), "unchanged", previous)
        if row is not None and only_if_from is not None and current is not None and current.origin != only_if_from:
            return Registered(self._remember(version, row), "unchanged", previous)
        moment = now()
        activation = (db.session.execute(db.select(func.max(ProcessVersionRow.activation))).scalar() or 0) + 1
        if row is not None:
            row.activation, row.activated_at, row.activated_by = activation, moment, deployed_by
            db.session.flush()
            return Registered(self._remember(version, row), "reactivated", previous)
        number = (
            db.session.execute(
                db.select(func.max(ProcessVersionRow.number)).filter_by(process_id=version.process_id)
            ).scalar()
            or 0
        ) + 1
        row = ProcessVersionRow(
            process_id=version.process_id,
            number=number,
            hash=version.hash,
            name=version.name,
            sources=dict(version.sources),
            created_at=moment,
            deployed_by=deployed_by[:100],
            origin=origin,
            note=note,
            activation=activation,
            activated_at=moment,
            activated_by=deployed_by[:100],
        )
        db.session.add(row)
        db.session.flush()
        return Registered(self._remember(version, row), "created", previous)

    def _current_row(self, process_id: str) -> ProcessVersionRow | None:
        return db.session.execute(
            db.select(ProcessVersionRow)
            .filter_by(process_id=process_id)
            .order_by(ProcessVersionRow.activation.desc())
            .limit(1)
        ).scalar_one_or_none()

    def _row_for(self, process_id: str, version_hash: str) -> ProcessVersionRow | None:
        return db.session.execute(
            db.select(ProcessVersionRow).filter_by(process_id=process_id, hash=version_hash)
        ).scalar_one_or_none()

    def _remember(self, version: ProcessVersion, row: ProcessVersionRow) -> VersionRef:
        ref = VersionRef(version, row.id, row.number)
        self._by_key[(version.process_id, version.hash)] = ref
        self._by_row[row.id] = ref
        return ref

    def build(self, process_id: str, sources: Mapping[str, str]) -> ProcessVersion:
        """Parse (or find cached) a version from its sources without making it current anywhere."""
        with self._lock:
            return self.registry.add(process_id, sources, make_latest=False)

    # -- which version is current --------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Reload the current version of every process if any deploy happened since the last look.

        Inside a request this runs once (the first lookup); elsewhere (CLI, worker) at every lookup.
        """
        if not force and has_request_context():
            if g.get("_alur_versions_checked"):
                return
            g._alur_versions_checked = True
        generation = db.session.execute(db.select(func.max(ProcessVersionRow.activation))).scalar() or 0
        if generation == self._generation and not force:
            return
        with self._lock:
            rows = db.session.execute(
                db.select(ProcessVersionRow.id, ProcessVersionRow.process_id, ProcessVersionRow.activation)
            ).all()
            newest: dict[str, tuple[int, int]] = {}
            for row_id, process_id, activation in rows:
                if process_id not in newest or activation > newest[process_id][1]:
                    newest[process_id] = (row_id, activation)
            self._current = {pid: self.by_row(row_id) for pid, (row_id, _) in newest.items()}
            self._generation = generation

    # -- lookups -----------------------------------------------------------------

    def current(self, process_id: str) -> VersionRef | None:
        self.ensure_synced()
        self.refresh()
        return self._current.get(process_id)

    def process_ids(self) -> list[str]:
        self.ensure_synced()
        self.refresh()
        return sorted(self._current)

    def by_row(self, row_id: int) -> VersionRef:
        """The version an instance runs on, rebuilt from its stored sources when not on disk any more."""
        ref = self._by_row.get(row_id)
        if ref is None:
            with self._lock:
                ref = self._by_row.get(row_id)
                if ref is None:
                    row = db.session.get(ProcessVersionRow, row_id)
                    if row is None:
                        raise KeyError(f"versi proses {row_id} tidak ada")
                    version = self.registry.add(row.process_id, row.sources, make_latest=False)
                    ref = self._remember(version, row)
        return ref

    def by_number(self, process_id: str, number: int) -> VersionRef | None:
        row_id = db.session.execute(
            db.select(ProcessVersionRow.id).filter_by(process_id=process_id, number=number)
        ).scalar_one_or_none()
        return self.by_row(row_id) if row_id is not None else None

    def personal_fields(self, version: ProcessVersion) -> frozenset[str]:
        """Fields marked `x-alur-personal` in any form of the version: the reporter's identity."""
        fields = self._personal.get(version.hash)
        if fields is None:
            names: set[str] = set()
            for form in version.forms.values():
                names.update(form.fields_marked("x-alur-personal"))
            fields = self._personal[version.hash] = frozenset(names)
        return fields


def _cached_lint(key: str, run: Callable[[], list[Problem]]) -> list[Problem]:
    if key not in _LINT_CACHE:
        if len(_LINT_CACHE) >= _LINT_CACHE_SIZE:
            _LINT_CACHE.clear()
        _LINT_CACHE[key] = run()
    return _LINT_CACHE[key]


def lint_sources(sources: Mapping[str, str], known_roles: set[str] | None = None) -> list[Problem]:
    """The deploy's lint of a version's own files ("bpmn/<file>", "forms/<path>"), problems named by file name.

    For what is stored, not what is on disk: the stored files are what instances run on.
    """
    forms = {k.removeprefix("forms/"): v for k, v in sources.items() if k.startswith("forms/")}
    roles = "*" if known_roles is None else content_hash({r: "" for r in known_roles})
    problems: list[Problem] = []
    for name in sorted(k for k in sources if k.startswith("bpmn/")):
        short, text = name.removeprefix("bpmn/"), sources[name]
        problems += _cached_lint(f"{roles}:{content_hash(dict(sources))}:{short}",
                                 partial(lint_text, text, short, forms.get, known_roles))
    return problems


def init_runtime(app: Flask) -> Runtime:
    calendar = app.config.get("ALUR_CALENDAR_FILE")
    calendar_file = Path(calendar) if calendar else None
    runtime = Runtime(app.config["ALUR_PROCESSES_DIR"], app.config["ALUR_FORMS_DIR"], calendar_file,
                      app.config.get("ALUR_MAX_DATA_BYTES"))
    app.extensions["alur"] = runtime
    return runtime


def runtime() -> Runtime:
    return current_app.extensions["alur"]
