"""The process registry for this app: versions from disk registered in the database, old ones from their rows.

Parsing a diagram costs milliseconds, so each version is parsed once per process
and cached; a request only looks it up. Instances keep running on the version
they started on: a version no longer on disk is rebuilt from its stored sources.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from api.db import db
from api.models import ProcessVersionRow
from engine import Engine, ProcessRegistry, ProcessVersion, now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionRef:
    """A registered version with its database row."""

    version: ProcessVersion
    row_id: int
    number: int


class Runtime:
    """Per-app engine, registry and version rows; safe to share between request threads."""

    def __init__(self, processes_dir: Path, forms_dir: Path, calendar_file: Path | None) -> None:
        self.processes_dir, self.forms_dir = processes_dir, forms_dir
        if calendar_file is None and (processes_dir / "hari_libur.json").exists():
            calendar_file = processes_dir / "hari_libur.json"
        self.engine = Engine(calendar_file=calendar_file)
        self.registry = ProcessRegistry()
        self._by_key: dict[tuple[str, str], VersionRef] = {}
        self._by_row: dict[int, VersionRef] = {}
        self._current: dict[str, VersionRef] = {}
        self._personal: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._synced = False

    # -- start-up ----------------------------------------------------------------

    def ensure_synced(self) -> None:
        if not self._synced:
            with self._lock:
                if not self._synced:
                    self.sync()
                    self._synced = True

    def sync(self) -> list[VersionRef]:
        """Read processes/ and forms/, store every new version (v1, v2, ... per process); returns the new ones."""
        if self.processes_dir.exists():
            self.registry.load_directory(self.processes_dir, self.forms_dir)
        added = []
        for process_id in self.registry.process_ids():
            version = self.registry.latest(process_id)
            ref, created = self._register(version)
            self._current[process_id] = ref
            if created:
                added.append(ref)
        db.session.commit()
        return added

    def _register(self, version: ProcessVersion) -> tuple[VersionRef, bool]:
        row = self._row_for(version.process_id, version.hash)
        created = False
        if row is None:
            try:
                with db.session.begin_nested():
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
                        created_at=now(),
                    )
                    db.session.add(row)
                created = True
                log.info("registered %s v%s (%s)", version.process_id, number, version.short_hash)
            except IntegrityError:  # another worker registered it at the same moment
                row = self._row_for(version.process_id, version.hash)
                assert row is not None
        return self._remember(version, row), created

    def _row_for(self, process_id: str, version_hash: str) -> ProcessVersionRow | None:
        return db.session.execute(
            db.select(ProcessVersionRow).filter_by(process_id=process_id, hash=version_hash)
        ).scalar_one_or_none()

    def _remember(self, version: ProcessVersion, row: ProcessVersionRow) -> VersionRef:
        ref = VersionRef(version, row.id, row.number)
        self._by_key[(version.process_id, version.hash)] = ref
        self._by_row[row.id] = ref
        return ref

    # -- lookups -----------------------------------------------------------------

    def current(self, process_id: str) -> VersionRef | None:
        self.ensure_synced()
        return self._current.get(process_id)

    def process_ids(self) -> list[str]:
        self.ensure_synced()
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

    def personal_fields(self, version: ProcessVersion) -> frozenset[str]:
        """Fields marked `x-alur-personal` in any form of the version: the reporter's identity."""
        fields = self._personal.get(version.hash)
        if fields is None:
            names: set[str] = set()
            for form in version.forms.values():
                names.update(form.fields_marked("x-alur-personal"))
            fields = self._personal[version.hash] = frozenset(names)
        return fields


def init_runtime(app: Flask) -> Runtime:
    calendar = app.config.get("ALUR_CALENDAR_FILE")
    calendar_file = Path(calendar) if calendar else None
    runtime = Runtime(app.config["ALUR_PROCESSES_DIR"], app.config["ALUR_FORMS_DIR"], calendar_file)
    app.extensions["alur"] = runtime
    return runtime


def runtime() -> Runtime:
    return current_app.extensions["alur"]
