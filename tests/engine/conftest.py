"""Fixtures for engine tests: small diagrams written into a temporary project."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine import Engine, FixedClock, ProcessRegistry, use_clock
from tests.bpmn_builder import build_bpmn, form_props

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))

SCHEMA = "https://json-schema.org/draft/2020-12/schema"


def write_form(forms_dir: Path, name: str, properties: dict, required: list[str] | None = None) -> None:
    path = forms_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = {"$schema": SCHEMA, "title": name, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")


class Project:
    """A temporary processes/ + forms/ pair."""

    def __init__(self, root: Path) -> None:
        self.processes = root / "processes"
        self.forms = root / "forms"
        self.processes.mkdir()
        self.forms.mkdir()

    def diagram(self, file: str, process_id: str, body: str, lanes: dict[str, list[str]], **kw) -> Path:
        path = self.processes / file
        path.write_text(build_bpmn(process_id, body, lanes, **kw), encoding="utf-8")
        return path

    def form(self, name: str, properties: dict, required: list[str] | None = None) -> None:
        write_form(self.forms, name, properties, required)

    def registry(self) -> ProcessRegistry:
        return ProcessRegistry.from_directory(self.processes, self.forms)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


@pytest.fixture
def engine() -> Engine:
    return Engine()


@pytest.fixture
def clock():
    with use_clock(FixedClock(datetime(2026, 3, 17, 9, 0, tzinfo=WIB))) as fixed:
        yield fixed


# A complaint-like process: the officer checks it within one working day, or the head
# is asked to step in (non-interrupting), then a reply is sent to the reporter.
COMPLAINT_BODY = f"""
<bpmn:startEvent id="diterima" name="Pengaduan diterima">{form_props("uji/mulai.schema.json", regionField="wilayah")}
  <bpmn:outgoing>f_mulai</bpmn:outgoing></bpmn:startEvent>
<bpmn:scriptTask id="hitung_batas" name="Hitung batas waktu"><bpmn:incoming>f_mulai</bpmn:incoming>
  <bpmn:outgoing>f_batas</bpmn:outgoing>
  <bpmn:script>batas = end_of_office_day(add_working_days(diterima_pada, 1))</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="periksa" name="Periksa pengaduan">{form_props("uji/periksa.schema.json")}
  <bpmn:incoming>f_batas</bpmn:incoming><bpmn:outgoing>f_periksa</bpmn:outgoing></bpmn:userTask>
<bpmn:boundaryEvent id="terlambat" name="Batas terlewati" attachedToRef="periksa" cancelActivity="false">
  <bpmn:outgoing>f_eskalasi</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">batas</bpmn:timeDate>
  </bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:userTask id="tindak_lanjut_kepala" name="Tindak lanjut kepala"><bpmn:incoming>f_eskalasi</bpmn:incoming>
  <bpmn:outgoing>f_eskalasi_selesai</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="eskalasi_selesai"><bpmn:incoming>f_eskalasi_selesai</bpmn:incoming></bpmn:endEvent>
<bpmn:exclusiveGateway id="gw_layak" default="f_tolak"><bpmn:incoming>f_periksa</bpmn:incoming>
  <bpmn:outgoing>f_balas</bpmn:outgoing><bpmn:outgoing>f_tolak</bpmn:outgoing></bpmn:exclusiveGateway>
<bpmn:intermediateThrowEvent id="kirim_balasan" name="Kirim balasan"><bpmn:incoming>f_balas</bpmn:incoming>
  <bpmn:outgoing>f_selesai</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_balasan" messageRef="msg_balasan"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{'isi': catatan}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:endEvent id="selesai"><bpmn:incoming>f_selesai</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="ditolak"><bpmn:incoming>f_tolak</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f_mulai" sourceRef="diterima" targetRef="hitung_batas"/>
<bpmn:sequenceFlow id="f_batas" sourceRef="hitung_batas" targetRef="periksa"/>
<bpmn:sequenceFlow id="f_periksa" sourceRef="periksa" targetRef="gw_layak"/>
<bpmn:sequenceFlow id="f_eskalasi" sourceRef="terlambat" targetRef="tindak_lanjut_kepala"/>
<bpmn:sequenceFlow id="f_eskalasi_selesai" sourceRef="tindak_lanjut_kepala" targetRef="eskalasi_selesai"/>
<bpmn:sequenceFlow id="f_balas" sourceRef="gw_layak" targetRef="kirim_balasan">
  <bpmn:conditionExpression>layak == True</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_tolak" sourceRef="gw_layak" targetRef="ditolak"/>
<bpmn:sequenceFlow id="f_selesai" sourceRef="kirim_balasan" targetRef="selesai"/>
"""
COMPLAINT_LANES = {
    "Petugas": ["diterima", "hitung_batas", "periksa", "gw_layak", "kirim_balasan", "selesai", "ditolak"],
    "Kepala": ["tindak_lanjut_kepala", "eskalasi_selesai"],
}
COMPLAINT_MESSAGE = '<bpmn:message id="msg_balasan" name="balasan_pelapor"/>'


@pytest.fixture
def complaint(project: Project):
    """The complaint-like process written into the project; returns its current version."""
    project.form(
        "uji/mulai.schema.json",
        {
            "diterima_pada": {"type": "string", "format": "date-time", "title": "Diterima pada"},
            "wilayah": {"type": "string", "title": "Wilayah", "pattern": "^33\\.13"},
        },
        ["diterima_pada", "wilayah"],
    )
    project.form(
        "uji/periksa.schema.json",
        {
            "catatan": {"type": "string", "title": "Catatan", "minLength": 3},
            "layak": {"type": "boolean", "title": "Layak"},
        },
        ["catatan", "layak"],
    )
    project.diagram("keluhan.bpmn", "keluhan", COMPLAINT_BODY, COMPLAINT_LANES, extra_processes=COMPLAINT_MESSAGE)
    return project.registry().latest("keluhan")
