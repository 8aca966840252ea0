"""The fixture procedure the load suites drive: small, but with every kind of write the real ones do.

`uji_beban`: a staff member (Petugas Beban) files a case; the desk checks it
(`periksa`) under a non-interrupting timer whose moment comes from the start data
(`tempo`, an ISO moment), so a test can make thousands of timers due at a near
real moment; a late check asks the head (`tegur`, Kepala Beban). After the check
a message goes out (an outbox row) and the analyst (Analis Beban) decides
(`putus`); then a final message and the end. So one instance exercises task
completion, timer firing racing a completion, pending-task rewrites, audit
events and the outbox.
"""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import write_form
from tests.bpmn_builder import build_bpmn, form_props

PROCESS = "uji_beban"
REGION = "33.13.05.2001"
LANE_DESK, LANE_ANALYST, LANE_HEAD = "Petugas Beban", "Analis Beban", "Kepala Beban"

BODY = f"""
<bpmn:startEvent id="masuk" name="Berkas masuk">{form_props("beban/mulai.schema.json", regionField="wilayah", titleField="judul")}
  <bpmn:outgoing>b1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="periksa" name="Periksa berkas">{form_props("beban/catatan.schema.json")}
  <bpmn:incoming>b1</bpmn:incoming><bpmn:outgoing>b2</bpmn:outgoing></bpmn:userTask>
<bpmn:boundaryEvent id="terlambat" name="Batas periksa" attachedToRef="periksa" cancelActivity="false">
  <bpmn:outgoing>b_tegur</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">tempo</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="tegur" name="Tegur petugas"><bpmn:incoming>b_tegur</bpmn:incoming><bpmn:outgoing>b_tegur_selesai</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="tegur_selesai"><bpmn:incoming>b_tegur_selesai</bpmn:incoming></bpmn:endEvent>
<bpmn:intermediateThrowEvent id="kabar_awal" name="Kabar awal"><bpmn:incoming>b2</bpmn:incoming><bpmn:outgoing>b3</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_awal" messageRef="msg_kabar"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{"jenis": "awal", "isi": catatan}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:userTask id="putus" name="Putuskan">{form_props("beban/catatan.schema.json")}
  <bpmn:incoming>b3</bpmn:incoming><bpmn:outgoing>b4</bpmn:outgoing></bpmn:userTask>
<bpmn:intermediateThrowEvent id="kabar_akhir" name="Kabar akhir"><bpmn:incoming>b4</bpmn:incoming><bpmn:outgoing>b5</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_akhir" messageRef="msg_kabar"><bpmn:extensionElements>
    <spiffworkflow:messagePayload>{{"jenis": "akhir", "isi": catatan}}</spiffworkflow:messagePayload>
  </bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>
<bpmn:endEvent id="selesai"><bpmn:incoming>b5</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="b1" sourceRef="masuk" targetRef="periksa"/>
<bpmn:sequenceFlow id="b2" sourceRef="periksa" targetRef="kabar_awal"/>
<bpmn:sequenceFlow id="b_tegur" sourceRef="terlambat" targetRef="tegur"/>
<bpmn:sequenceFlow id="b_tegur_selesai" sourceRef="tegur" targetRef="tegur_selesai"/>
<bpmn:sequenceFlow id="b3" sourceRef="kabar_awal" targetRef="putus"/>
<bpmn:sequenceFlow id="b4" sourceRef="putus" targetRef="kabar_akhir"/>
<bpmn:sequenceFlow id="b5" sourceRef="kabar_akhir" targetRef="selesai"/>
"""
LANES = {
    LANE_DESK: ["masuk", "periksa", "kabar_awal", "kabar_akhir", "selesai"],
    LANE_ANALYST: ["putus"],
    LANE_HEAD: ["tegur", "tegur_selesai"],
}


def write_load_project(root: Path) -> tuple[Path, Path]:
    """processes/ and forms/ folders holding only `uji_beban`."""
    processes, forms = root / "processes", root / "forms"
    processes.mkdir(parents=True, exist_ok=True)
    write_form(forms, "beban/mulai.schema.json",
               {"judul": {"type": "string"}, "wilayah": {"type": "string"},
                "tempo": {"type": "string", "format": "date-time"}},
               ["judul", "wilayah", "tempo"])
    write_form(forms, "beban/catatan.schema.json", {"catatan": {"type": "string", "minLength": 1}}, ["catatan"])
    message = '<bpmn:message id="msg_kabar" name="kabar_pelapor"/>'
    (processes / "beban.bpmn").write_text(
        build_bpmn(PROCESS, BODY, LANES, name="Beban uji", extra_processes=message), encoding="utf-8")
    return processes, forms
