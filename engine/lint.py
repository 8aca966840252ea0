"""`alur lint`: the analyst's check of BPMN files before they go live.

Each problem names the file, the line and the element id, so it can be found in a
text editor or in the modeler. The checks catch what would otherwise fail only
when an instance reaches the element: XSD errors, tasks no role can see, missing or
broken forms, a `uniqueStartWhile` the engine would not read, timer expressions that do
not evaluate, scripts the sandbox refuses, elements without a diagram shape, and
exclusive gateways that can dead-end.
"""

from __future__ import annotations

import ast
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.forms import SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY, FormFileError, load_form_json, parse_form
from engine.registry import UNIQUE_START, UNIQUE_START_WHILE, WHILE_OPEN, ProcessFileError, safe_parse_xml, validator
from engine.sandbox import ScriptError, compile_expression, compile_script

log = logging.getLogger(__name__)

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODE_TAGS = (
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
)  # fmt: skip
HUMAN_TAGS = ("userTask", "manualTask", "task")
ISO_LIKE = re.compile(r"^(R\d*/)?P(\d|T)|^\d{4}-\d{2}-\d{2}T")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element: str | None
    message: str

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: [{self.element}] {self.message}" if self.element else f"{where}: {self.message}"


@dataclass
class LintReport:
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"{len(self.files)} berkas diperiksa, tidak ada masalah."
        return f"{len(self.files)} berkas diperiksa, {len(self.problems)} masalah."


def lint_paths(paths: Iterable[Path], forms_dir: Path | None = None, known_roles: set[str] | None = None) -> LintReport:
    """Lint every .bpmn file in `paths` (files or folders)."""
    report = LintReport()
    for path in paths:
        files = sorted(path.glob("*.bpmn")) if path.is_dir() else [path]
        for file in files:
            forms = forms_dir or file.parent.parent / "forms"
            report.files.append(str(file))
            report.problems.extend(lint_text(file.read_bytes(), str(file), _form_reader(forms), known_roles))
    return report


def _form_reader(forms_dir: Path):
    def read(name: str) -> str | None:
        path = (forms_dir / name).resolve()
        if forms_dir.resolve() not in path.parents or not path.is_file():
            return None
        return path.read_text(encoding="utf-8")

    return read


def lint_text(data: bytes | str, filename: str, read_form, known_roles: set[str] | None = None) -> list[Problem]:
    """Lint one BPMN document; `read_form(relative_path)` returns a form file's text or None."""
    try:
        tree = safe_parse_xml(data, filename)
    except ProcessFileError as exc:
        return [Problem(filename, exc.line, None, exc.reason)]
    problems = _xsd(tree, filename)
    if problems:
        return problems  # the other checks assume a schema-valid document
    root = tree.getroot()
    checks = (_lanes, _forms, _unique_starts, _timers, _scripts, _shapes, _gateways)
    for check in checks:
        problems.extend(check(root, filename, read_form=read_form, known_roles=known_roles))
    problems.extend(_spiff_parse(tree, filename))
    return sorted(problems, key=lambda p: (p.line or 0, p.element or ""))


def _xsd(tree: etree._ElementTree, filename: str) -> list[Problem]:
    schema = validator().validator
    if schema.validate(tree):
        return []
    return [Problem(filename, e.line, None, f"XSD: {e.message}") for e in schema.error_log]


def _spiff_parse(tree: etree._ElementTree, filename: str) -> list[Problem]:
    """What SpiffWorkflow itself refuses when it builds the specs."""
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_xml(tree, filename=filename)
        for process_id in parser.get_process_ids():
            parser.get_spec(process_id)
    except ValidationException as exc:
        return [Problem(filename, getattr(exc, "line_number", None), getattr(exc, "id", None), str(exc).split("\n")[0])]
    except Exception as exc:  # SpiffWorkflow's parser crashing on a malformed diagram is a finding, not a lint crash
        # The analyst sees the message; the traceback is for whoever debugs SpiffWorkflow's parser.
        log.debug("SpiffWorkflow's parser failed on %s", filename, exc_info=True)
        return [Problem(filename, None, None, f"SpiffWorkflow tidak dapat membaca proses: {exc}")]
    return []


def _id(el: etree._Element) -> str:
    return el.get("id") or etree.QName(el).localname


def lane_names(data: bytes | str, filename: str = "") -> list[str]:
    """The lane names of a diagram (its roles), in order; [] when it does not parse (the lint says why)."""
    try:
        root = safe_parse_xml(data, filename).getroot()
    except ProcessFileError:
        return []
    names = [lane.get("name") or "" for lane in root.iterfind(".//bpmn:lane", NS)]
    return [name for name in dict.fromkeys(names) if name]


def _lanes(root, filename, *, known_roles, **_):
    problems = []
    in_lane = {ref.text.strip() for ref in root.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS) if ref.text}
    for process in root.iterfind("bpmn:process", NS):
        for tag in HUMAN_TAGS:
            for task in process.iterfind(f".//bpmn:{tag}", NS):
                if task.get("id") not in in_lane:
                    problems.append(
                        Problem(
                            filename,
                            task.sourceline,
                            _id(task),
                            "tugas manusia tanpa lajur peran: tidak ada peran yang dapat melihatnya",
                        )
                    )
    if known_roles is not None:
        for lane in root.iterfind(".//bpmn:lane", NS):
            if lane.get("name") not in known_roles:
                problems.append(
                    Problem(
                        filename,
                        lane.sourceline,
                        _id(lane),
                        f"lajur '{lane.get('name')}' bukan peran yang dikenal sistem",
                    )
                )
    return problems


def _forms(root, filename, *, read_form, **_):
    problems = []
    for prop in root.iterfind(".//spiffworkflow:property", NS):
        if prop.get("name") not in (SCHEMA_PROPERTY, UI_SCHEMA_PROPERTY):
            continue
        owner = prop.getparent().getparent().getparent()
        name = prop.get("value", "")
        text = read_form(name)
        if text is None:
            problems.append(Problem(filename, prop.sourceline, _id(owner), f"berkas formulir tidak ada: forms/{name}"))
            continue
        try:
            if prop.get("name") == SCHEMA_PROPERTY:
                parse_form(name, text)
            else:
                load_form_json(name, text)
        except FormFileError as exc:
            problems.append(Problem(filename, prop.sourceline, _id(owner), str(exc)))
    return problems


def _unique_starts(root, filename, **_):
    """A misspelt `uniqueStartWhile` would quietly keep finished cases holding their values: refused here."""
    problems = []
    for prop in root.iterfind(f".//spiffworkflow:property[@name='{UNIQUE_START_WHILE}']", NS):
        owner = prop.getparent().getparent().getparent()
        value = prop.get("value", "")
        if value != WHILE_OPEN:
            problems.append(Problem(filename, prop.sourceline, _id(owner),
                                    f"{UNIQUE_START_WHILE} '{value}' tidak dikenal: isi '{WHILE_OPEN}' atau hapus"))
        named = prop.getparent().find(f"spiffworkflow:property[@name='{UNIQUE_START}']", NS)
        if named is None or not named.get("value", "").strip():
            problems.append(Problem(filename, prop.sourceline, _id(owner),
                                    f"{UNIQUE_START_WHILE} tanpa {UNIQUE_START}: tidak ada isian yang ditahan"))
    return problems


def _timers(root, filename, **_):
    problems = []
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for expr in root.iterfind(f".//bpmn:{kind}", NS):
            owner = expr.getparent().getparent()
            message = _timer_problem(kind, (expr.text or "").strip())
            if message:
                problems.append(Problem(filename, expr.sourceline, _id(owner), message))
    return problems


# SpiffWorkflow's own readers of each timer kind, the ones it uses when the timer is reached.
_TIMER_PARSERS = {
    "timeDate": TimerEventDefinition.get_datetime,
    "timeDuration": TimerEventDefinition.parse_iso_duration,
    "timeCycle": TimerEventDefinition.parse_iso_recurring_interval,
}


def _timer_problem(kind: str, text: str) -> str | None:
    if not text:
        return "ekspresi timer kosong"
    if ISO_LIKE.match(text):
        return f'ekspresi timer {text} harus ditulis dalam tanda kutip: "{text}" (ekspresi adalah Python)'
    try:
        compile_expression(text)
        node = ast.parse(text, mode="eval").body
    except (ScriptError, SyntaxError) as exc:
        return f"ekspresi timer tidak dapat dikompilasi: {exc}"
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str):
            return "ekspresi timer harus menghasilkan teks ISO 8601"
        parse = _TIMER_PARSERS[kind]
        try:
            parse(node.value)
        except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration ("P3X"), else ValueError, ...
            return f"'{node.value}' bukan {kind} ISO 8601 yang sah"
    return None  # an expression over data: checked when the instance reaches it


def _scripts(root, filename, **_):
    problems = []
    sources = [(el, "script", compile_script) for el in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS)]
    sources += [(el, "preScript", compile_script) for el in root.iterfind(".//spiffworkflow:preScript", NS)]
    sources += [(el, "postScript", compile_script) for el in root.iterfind(".//spiffworkflow:postScript", NS)]
    sources += [(el, "kondisi", compile_expression) for el in root.iterfind(".//bpmn:conditionExpression", NS)]
    sources += [(el, "messagePayload", compile_expression)
                for el in root.iterfind(".//spiffworkflow:messagePayload", NS)]
    for el, what, compiler in sources:
        owner = el.getparent()
        if etree.QName(owner).localname == "extensionElements":
            owner = owner.getparent()
        text = (el.text or "").strip()
        if not text:
            if what == "kondisi":
                problems.append(Problem(filename, el.sourceline, _id(owner), "kondisi kosong"))
            continue
        try:
            compiler(text)
        except ScriptError as exc:
            problems.append(Problem(filename, el.sourceline, _id(owner), f"{what} ditolak sandbox: {exc}"))
    return problems


def _shapes(root, filename, **_):
    drawn = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    drawn |= {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    problems = []
    elements = [el for tag in FLOW_NODE_TAGS for el in root.iterfind(f".//bpmn:process//bpmn:{tag}", NS)]
    elements += list(root.iterfind(".//bpmn:lane", NS)) + list(root.iterfind(".//bpmn:sequenceFlow", NS))
    for el in elements:
        if el.get("id") not in drawn:
            kind = etree.QName(el).localname
            problems.append(
                Problem(
                    filename,
                    el.sourceline,
                    _id(el),
                    f"{kind} tanpa bentuk diagram: berkas tidak akan tampil utuh di modeler",
                )
            )
    return problems


def _gateways(root, filename, **_):
    problems = []
    flows = {f.get("id"): f for f in root.iterfind(".//bpmn:sequenceFlow", NS)}
    for gateway in root.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = [flows[o.text.strip()] for o in gateway.iterfind("bpmn:outgoing", NS) if o.text in flows]
        outgoing = outgoing or [f for f in flows.values() if f.get("sourceRef") == gateway.get("id")]
        conditional = [f for f in outgoing if f.find("bpmn:conditionExpression", NS) is not None]
        if conditional and not gateway.get("default"):
            problems.append(
                Problem(
                    filename,
                    gateway.sourceline,
                    _id(gateway),
                    "gateway eksklusif dengan kondisi tanpa alur default: "
                    "bila semua kondisi salah, kasus berhenti dengan kesalahan",
                )
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.lint [paths]` (the same check as `alur lint`)."""
    args = argv if argv is not None else sys.argv[1:]
    report = lint_paths([Path(a) for a in args] or [Path("processes")])
    for problem in report.problems:
        print(problem.format())
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
