"""Process versions: the diagrams and forms an instance runs on.

A version is the BPMN file(s) of one executable process plus every form file its
tasks name, identified by a SHA-256 over those contents. Each version is parsed by
its own SpiffBpmnParser (one parser cannot hold two versions of one process id) and
kept in memory so a stored instance is rebuilt from cached spec objects, never by
re-parsing per request.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, StartEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.forms import (
    PUBLIC_STATUS_PROPERTY,
    SCHEMA_PROPERTY,
    UI_SCHEMA_PROPERTY,
    UNIT_PROPERTY,
    FormRef,
    parse_form,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BPMN_BYTES = 2_000_000
MAX_FORM_BYTES = 500_000
_VALIDATOR: BpmnValidator | None = None
# Parsed versions by (process id, content hash), shared by every registry in the process: the same
# sources always parse to the same version, and a version is only read once built (instances keep
# their own state). A process that makes many apps (the test suite makes one per test) then parses
# each diagram once rather than once per app; the real diagrams take about 0.4 s together.
_BUILT: OrderedDict[tuple[str, str], ProcessVersion] = OrderedDict()
_BUILT_SIZE = 128
_FILES_OF: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {}  # see _files_of
_BUILT_LOCK = threading.Lock()


class ProcessFileError(ValueError):
    """A BPMN or form file that cannot become a version; says which file and line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, element: str | None = None):
        where = ":".join(str(p) for p in (file, line) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.line, self.element, self.reason = file, line, element, message


def validator() -> BpmnValidator:
    """The BPMN 2.0 XSD validator (loading the schema costs ~50 ms, so once)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = BpmnValidator()
    return _VALIDATOR


def safe_parse_xml(text: str | bytes, filename: str) -> etree._ElementTree:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if len(data) > MAX_BPMN_BYTES:
        raise ProcessFileError(f"berkas terlalu besar ({len(data)} bita; batas {MAX_BPMN_BYTES})", filename)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as exc:
        raise ProcessFileError(f"XML tidak valid: {exc.msg}", filename, exc.lineno) from exc
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise ProcessFileError("DOCTYPE/entitas tidak diizinkan dalam berkas BPMN", filename, 1)
    return tree


# Start-event properties of a start that must not repeat (api/services/unique_starts.py); `alur lint` checks them.
UNIQUE_START = "uniqueStart"
UNIQUE_START_WHILE = "uniqueStartWhile"
WHILE_OPEN = "open"


@dataclass(frozen=True)
class StartInfo:
    """How an instance starts: the start event's lane (who may start), form and properties."""

    element_id: str
    lane: str | None
    form: FormRef | None
    properties: Mapping[str, str]


@dataclass(frozen=True)
class TaskInfo:
    element_id: str
    title: str
    lane: str | None
    form: FormRef | None
    instructions: str | None
    unit_field: str | None = None  # the data field naming the unit this task goes to (`unitField`)
    properties: Mapping[str, str] = field(default_factory=dict)  # every spiff property, e.g. `batchOf`
    public_status: str | None = None  # plain words for the public while the task waits (`publicStatus`)


@dataclass
class ProcessVersion:
    """One executable process at one content hash, with its parsed spec cached."""

    process_id: str
    name: str
    hash: str
    sources: dict[str, str]  # "bpmn/<file>" and "forms/<path>" -> text
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    forms: dict[str, FormRef]
    lanes: list[str]
    start: StartInfo
    tasks: dict[str, TaskInfo] = field(default_factory=dict)
    # Plain words for the public while the instance waits at a message catch (its `publicStatus`), by element
    # id; `{field}` in them is filled from the data the catch shares (`batchFields`), e.g. the RKPD year.
    wait_public_status: dict[str, str] = field(default_factory=dict)
    # Plain words for the public once the instance finished at an end event (its `publicStatus`), by element
    # id; `{field}` in them is filled from the final data, e.g. the level and reason of a rejection.
    end_public_status: dict[str, str] = field(default_factory=dict)

    @property
    def short_hash(self) -> str:
        return self.hash[:12]

    def element_title(self, element_id: str | None) -> str | None:
        """The diagram's name of one of its elements (a step, a timer, an event); None when it has none here."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            task_spec = spec.task_specs.get(element_id or "")
            if task_spec is not None:
                return getattr(task_spec, "bpmn_name", None) or None
        return None

    def all_forms(self) -> list[FormRef]:
        """The start form, the steps' forms, then every other form of the version: the order labels are taken in."""
        forms = [self.start.form] if self.start.form else []
        forms += [task.form for task in self.tasks.values() if task.form]
        return forms + list(self.forms.values())

    def bpmn_source(self) -> str:
        """The diagram XML of the process's own file (for drawing it)."""
        name = next(k for k in self.sources if k.startswith("bpmn/"))
        return self.sources[name]


def content_hash(sources: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(sources[name].encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _new_parser() -> SpiffBpmnParser:
    return SpiffBpmnParser(validator=validator())


def _add_bpmn(parser: SpiffBpmnParser, name: str, text: str) -> None:
    tree = safe_parse_xml(text, name)
    try:
        parser.add_bpmn_xml(tree, filename=name)
    except ValidationException as exc:
        raise ProcessFileError(
            _clean(exc),
            getattr(exc, "file_name", None) or name,
            getattr(exc, "line_number", None),
            getattr(exc, "id", None),
        ) from exc


def _clean(exc: Exception) -> str:
    return str(exc).split("\n")[0]


def executable_process_ids(bpmn_files: Mapping[str, str]) -> dict[str, str]:
    """process id -> file name, for every executable process in the given files."""
    found: dict[str, str] = {}
    for name, text in bpmn_files.items():
        for process in safe_parse_xml(text, name).getroot().iter(f"{{{BPMN_NS}}}process"):
            process_id = process.get("id")
            if process.get("isExecutable") == "true" and process_id is not None:
                found[process_id] = name
    return found


def _form_pairs(specs: Iterable[BpmnProcessSpec]) -> set[tuple[str, str | None]]:
    """(schema file, UI schema file or None) for every task that names a form."""
    pairs: set[tuple[str, str | None]] = set()
    for spec in specs:
        for task_spec in spec.task_specs.values():
            props = _props(task_spec)
            if SCHEMA_PROPERTY in props:
                pairs.add((props[SCHEMA_PROPERTY], props.get(UI_SCHEMA_PROPERTY)))
    return pairs


def _form_files(specs: Iterable[BpmnProcessSpec]) -> set[str]:
    return {name for pair in _form_pairs(specs) for name in pair if name}


def _spec_files(parser: SpiffBpmnParser, process_id: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise ProcessFileError(
            _clean(exc), getattr(exc, "file_name", None), getattr(exc, "line_number", None), getattr(exc, "id", None)
        ) from exc
    return spec, subprocess_specs


def build_version(process_id: str, sources: Mapping[str, str]) -> ProcessVersion:
    """Parse one process from its sources ("bpmn/<file>", "forms/<path>") into a version."""
    parser = _new_parser()
    for name, text in sources.items():
        if name.startswith("bpmn/"):
            _add_bpmn(parser, name, text)
    spec, subprocess_specs = _spec_files(parser, process_id)
    all_specs = [spec, *subprocess_specs.values()]
    forms = _load_forms(_form_pairs(all_specs), sources)
    lanes = _lanes(sources)
    return ProcessVersion(
        process_id=process_id,
        name=spec.description or process_id,
        hash=content_hash(sources),
        sources=dict(sources),
        spec=spec,
        subprocess_specs=subprocess_specs,
        forms=forms,
        lanes=lanes,
        start=_start_info(spec, forms),
        tasks=_task_infos(all_specs, forms),
        wait_public_status=_wait_public_status(all_specs),
        end_public_status=_end_public_status(spec),
    )


def _built(key: tuple[str, str], sources: Mapping[str, str]) -> ProcessVersion:
    """The version of `key` (process id, content hash of `sources`), parsed at most once per process."""
    with _BUILT_LOCK:
        version = _BUILT.get(key)
        if version is not None:
            _BUILT.move_to_end(key)
            return version
    version = build_version(key[0], sources)  # outside the lock: parsing takes milliseconds to seconds
    with _BUILT_LOCK:
        _BUILT[key] = version
        while len(_BUILT) > _BUILT_SIZE:
            _BUILT.popitem(last=False)
    return version


def _load_forms(pairs: set[tuple[str, str | None]], sources: Mapping[str, str]) -> dict[str, FormRef]:
    forms: dict[str, FormRef] = {}
    for schema_file, ui_file in sorted(pairs, key=lambda p: (p[0], p[1] or "")):
        for name in (schema_file, ui_file):
            if name and f"forms/{name}" not in sources:
                raise ProcessFileError(f"berkas formulir tidak ada: forms/{name}", f"forms/{name}")
        if schema_file not in forms or ui_file:
            ui_text = sources[f"forms/{ui_file}"] if ui_file else None
            forms[schema_file] = parse_form(schema_file, sources[f"forms/{schema_file}"], ui_file, ui_text)
    # A form's date may be bounded by a field another form of the process asks (the RW's meeting by the
    # RT's): its messages name that field by the title the users know it by.
    titles: dict[str, str] = {}
    for form in forms.values():
        for name, spec in form.schema.get("properties", {}).items():
            if isinstance(spec, dict) and isinstance(spec.get("title"), str):
                titles.setdefault(name, spec["title"])
    return {name: replace(form, case_titles=titles) for name, form in forms.items()}


def _props(task_spec: Any) -> dict[str, str]:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


def _start_info(spec: BpmnProcessSpec, forms: Mapping[str, FormRef]) -> StartInfo:
    starts = [
        ts
        for ts in spec.start.outputs
        if isinstance(ts, StartEvent) and ts.event_definition.__class__.__name__ == "NoneEventDefinition"
    ]
    start = starts[0] if starts else spec.start.outputs[0]
    props = _props(start)
    form = forms.get(props.get(SCHEMA_PROPERTY, ""))
    return StartInfo(start.bpmn_id or start.name, getattr(start, "lane", None), form, props)


def _task_infos(specs: Iterable[BpmnProcessSpec], forms: Mapping[str, FormRef]) -> dict[str, TaskInfo]:
    infos: dict[str, TaskInfo] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not task_spec.manual:
                continue
            props = _props(task_spec)
            infos[task_spec.name] = TaskInfo(
                element_id=task_spec.bpmn_id or task_spec.name,
                title=task_spec.bpmn_name or task_spec.name,
                lane=getattr(task_spec, "lane", None),
                form=forms.get(props.get(SCHEMA_PROPERTY, "")),
                instructions=(task_spec.extensions or {}).get("instructionsForEndUser"),
                unit_field=props.get(UNIT_PROPERTY) or None,
                properties=props,
                public_status=(props.get(PUBLIC_STATUS_PROPERTY) or "").strip() or None,
            )
    return infos


def _wait_public_status(specs: Iterable[BpmnProcessSpec]) -> dict[str, str]:
    """`publicStatus` of the elements a person does not complete (a receive task waiting for a forum)."""
    found: dict[str, str] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            words = (_props(task_spec).get(PUBLIC_STATUS_PROPERTY) or "").strip()
            if words and not task_spec.manual and not isinstance(task_spec, EndEvent):
                found[task_spec.bpmn_id or task_spec.name] = words
    return found


def _end_public_status(spec: BpmnProcessSpec) -> dict[str, str]:
    """`publicStatus` of the process's own end events: the outcome a finished case tells the public.

    Only the top level: an end inside a sub-process box closes a phase, not the case.
    """
    found: dict[str, str] = {}
    for task_spec in spec.task_specs.values():
        words = (_props(task_spec).get(PUBLIC_STATUS_PROPERTY) or "").strip()
        if words and isinstance(task_spec, EndEvent):
            found[task_spec.bpmn_id or task_spec.name] = words
    return found


def _lanes(sources: Mapping[str, str]) -> list[str]:
    lanes: list[str] = []
    for name, text in sources.items():
        if name.startswith("bpmn/"):
            for lane in safe_parse_xml(text, name).getroot().iter(f"{{{BPMN_NS}}}lane"):
                lane_name = lane.get("name")
                if lane_name and lane_name not in lanes:
                    lanes.append(lane_name)
    return lanes


def collect_sources(process_id: str, bpmn_files: Mapping[str, str], form_texts: Mapping[str, str]) -> dict[str, str]:
    """The exact files a process version consists of: its BPMN file(s) and referenced forms.

    `bpmn_files` maps file name -> XML for every diagram available (called processes may
    live in other files); `form_texts` maps a path relative to the forms folder -> text.
    """
    needed_files, form_refs = _files_of(process_id, bpmn_files)
    sources = {f: bpmn_files[f.removeprefix("bpmn/")] for f in needed_files}
    for ref in form_refs:
        if ref in form_texts:
            sources[f"forms/{ref}"] = form_texts[ref]
        else:
            raise ProcessFileError(f"berkas formulir tidak ada: forms/{ref}", f"forms/{ref}")
    return sources


def _files_of(process_id: str, bpmn_files: Mapping[str, str]) -> tuple[frozenset[str], frozenset[str]]:
    """The diagram files ("bpmn/<file>") and form files a process uses, found by parsing every diagram.

    Remembered per process by the diagrams' content: a sync asks this for each process, and parsing
    every diagram each time made reading the real procedures quadratic (8 files, 8 processes: 64 parses).
    """
    key = (process_id, content_hash(bpmn_files))
    with _BUILT_LOCK:
        known = _FILES_OF.get(key)
    if known is not None:
        return known
    parser = _new_parser()
    for name, text in bpmn_files.items():
        _add_bpmn(parser, f"bpmn/{name}", text)
    spec, subprocess_specs = _spec_files(parser, process_id)
    specs = [spec, *subprocess_specs.values()]
    found = frozenset(s.file for s in specs), frozenset(_form_files(specs))
    with _BUILT_LOCK:
        if len(_FILES_OF) >= _BUILT_SIZE:
            _FILES_OF.clear()
        _FILES_OF[key] = found
    return found


def read_directory(processes_dir: Path, forms_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The diagrams (file name -> text) and forms (relative path -> text) on disk."""
    bpmn_files = {p.name: p.read_text(encoding="utf-8") for p in sorted(processes_dir.glob("*.bpmn"))}
    form_texts: dict[str, str] = {}
    if forms_dir.exists():
        for path in sorted(forms_dir.rglob("*.json")):
            if path.stat().st_size > MAX_FORM_BYTES:
                raise ProcessFileError("berkas formulir terlalu besar", str(path))
            form_texts[path.relative_to(forms_dir).as_posix()] = path.read_text(encoding="utf-8")
    return bpmn_files, form_texts


class ProcessRegistry:
    """Every known version of every process; the newest per process is the current one."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, str], ProcessVersion] = {}
        self._latest: dict[str, str] = {}

    @classmethod
    def from_directory(cls, processes_dir: Path, forms_dir: Path) -> ProcessRegistry:
        registry = cls()
        registry.load_directory(processes_dir, forms_dir)
        return registry

    def load_directory(self, processes_dir: Path, forms_dir: Path) -> list[ProcessVersion]:
        """Read the files; returns the versions that are new (changed or first seen)."""
        bpmn_files, form_texts = read_directory(processes_dir, forms_dir)
        new: list[ProcessVersion] = []
        for process_id in sorted(executable_process_ids(bpmn_files)):
            sources = collect_sources(process_id, bpmn_files, form_texts)
            known = (process_id, content_hash(sources)) in self._versions
            version = self.add(process_id, sources)
            if not known:
                new.append(version)
        return new

    def add(self, process_id: str, sources: Mapping[str, str], *, make_latest: bool = True) -> ProcessVersion:
        """Register a version from its sources (from disk, an upload or the database)."""
        key = (process_id, content_hash(sources))
        version = self._versions.get(key)
        if version is None:
            version = self._versions[key] = _built(key, sources)
        if make_latest:
            self._latest[process_id] = version.hash
        return version

    def get(self, process_id: str, version_hash: str) -> ProcessVersion:
        try:
            return self._versions[(process_id, version_hash)]
        except KeyError:
            raise KeyError(f"versi {version_hash[:12]} dari proses {process_id} tidak dikenal") from None

    def has(self, process_id: str, version_hash: str) -> bool:
        return (process_id, version_hash) in self._versions

    def latest(self, process_id: str) -> ProcessVersion:
        if process_id not in self._latest:
            raise KeyError(f"proses tidak dikenal: {process_id}")
        return self._versions[(process_id, self._latest[process_id])]

    def process_ids(self) -> list[str]:
        return sorted(self._latest)

    def versions(self, process_id: str | None = None) -> list[ProcessVersion]:
        return [v for (pid, _), v in self._versions.items() if process_id in (None, pid)]
