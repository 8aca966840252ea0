"""A person or an event acting late does not skip a timer that was already due.

The worker fires due timers in rounds; a completion or a message that arrives after a
due moment but before the next round must see the instance as the worker would have
left it: the timer fired first.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import STATUS_ERROR, STATUS_RUNNING, DueTimerFailed, NothingWaiting, TaskNotReady
from tests.engine.conftest import COMPLAINT_BODY, COMPLAINT_LANES, COMPLAINT_MESSAGE, WIB

RECEIVED = {"diterima_pada": "2026-03-17T09:00:00+07:00", "wilayah": "33.13"}
REPLY = {"catatan": "sudah ditangani", "layak": True}
AFTER_DEADLINE = datetime(2026, 3, 26, 10, 0, tzinfo=WIB)  # due 25 March 16:00 WIB


def kinds(result) -> list[str]:
    return [e.kind for e in result.events]


def complaint_variant(project, file: str, process_id: str, body: str):
    for name, props in (
        ("uji/mulai.schema.json", {"diterima_pada": {"type": "string"}, "wilayah": {"type": "string"}}),
        ("uji/periksa.schema.json", {"catatan": {"type": "string"}, "layak": {"type": "boolean"}}),
    ):
        project.form(name, props)
    lanes = {lane: list(refs) for lane, refs in COMPLAINT_LANES.items()}
    if "skrip_eskalasi" in body:
        lanes["Kepala"].append("skrip_eskalasi")
    project.diagram(file, process_id, body, lanes, extra_processes=COMPLAINT_MESSAGE)
    return project.registry().latest(process_id)


def test_given_a_non_interrupting_deadline_passed_when_the_task_is_completed_late_then_the_escalation_still_happens(
    engine, complaint, clock
):
    started = engine.start(complaint, RECEIVED)
    clock.set(AFTER_DEADLINE)  # the worker has not run since the due moment

    done = engine.complete(complaint, started.state, started.tasks[0].id, REPLY, "Petugas")

    assert done.status == STATUS_RUNNING
    assert [(t.name, t.lane) for t in done.tasks] == [("tindak_lanjut_kepala", "Kepala")]
    assert kinds(done) == ["timer_fired", "task_completed", "task_ready", "message_sent"]
    [fired] = [e for e in done.events if e.kind == "timer_fired"]
    assert fired.task_name == "terlambat"
    assert [m.name for m in done.messages] == ["balasan_pelapor"]
    assert "terlambat" in engine.inspect(complaint, done.state).completed_elements


def test_given_the_deadline_not_yet_passed_when_the_task_is_completed_then_no_timer_fires(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    clock.set(datetime(2026, 3, 25, 15, 59, tzinfo=WIB))

    done = engine.complete(complaint, started.state, started.tasks[0].id, REPLY, "Petugas")

    assert kinds(done) == ["task_completed", "message_sent", "instance_completed"]
    assert done.tasks == []
    assert "terlambat" not in engine.inspect(complaint, done.state).completed_elements


def test_given_an_interrupting_deadline_passed_when_the_task_is_completed_late_then_completion_is_refused(
    engine, project, clock
):
    body = COMPLAINT_BODY.replace('cancelActivity="false"', 'cancelActivity="true"')
    version = complaint_variant(project, "keluhan_putus.bpmn", "keluhan_putus", body)
    started = engine.start(version, RECEIVED)
    clock.set(AFTER_DEADLINE)

    with pytest.raises(TaskNotReady, match="batas waktunya sudah lewat"):
        engine.complete(version, started.state, started.tasks[0].id, REPLY, "Petugas")

    fired = engine.fire_timers(version, started.state)  # what the worker does with the unchanged state
    assert [(t.name, t.lane) for t in fired.tasks] == [("tindak_lanjut_kepala", "Kepala")]
    assert "timer_fired" in kinds(fired)


def test_given_a_due_escalation_whose_script_fails_when_the_task_is_completed_late_then_completion_is_refused(
    engine, project, clock
):
    body = COMPLAINT_BODY.replace(
        '<bpmn:sequenceFlow id="f_eskalasi" sourceRef="terlambat" targetRef="tindak_lanjut_kepala"/>',
        '<bpmn:scriptTask id="skrip_eskalasi"><bpmn:incoming>f_eskalasi</bpmn:incoming>'
        "<bpmn:outgoing>f_eskalasi_2</bpmn:outgoing><bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f_eskalasi" sourceRef="terlambat" targetRef="skrip_eskalasi"/>'
        '<bpmn:sequenceFlow id="f_eskalasi_2" sourceRef="skrip_eskalasi" targetRef="tindak_lanjut_kepala"/>',
    ).replace('name="Tindak lanjut kepala"><bpmn:incoming>f_eskalasi<', 'name="Tindak lanjut kepala"><bpmn:incoming>f_eskalasi_2<')
    version = complaint_variant(project, "keluhan_rusak.bpmn", "keluhan_rusak", body)
    started = engine.start(version, RECEIVED)
    clock.set(AFTER_DEADLINE)

    with pytest.raises(DueTimerFailed, match="division by zero"):
        engine.complete(version, started.state, started.tasks[0].id, REPLY, "Petugas")

    fired = engine.fire_timers(version, started.state)
    assert fired.status == STATUS_ERROR
    assert [e.task_name for e in fired.events if e.kind == "error"] == ["skrip_eskalasi"]


EVENT_GATEWAY_BODY = """
<bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:eventBasedGateway id="tunggu"><bpmn:incoming>f1</bpmn:incoming>
  <bpmn:outgoing>f_surat</bpmn:outgoing><bpmn:outgoing>f_habis</bpmn:outgoing></bpmn:eventBasedGateway>
<bpmn:intermediateCatchEvent id="surat_tiba"><bpmn:incoming>f_surat</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
  <bpmn:messageEventDefinition id="def_surat" messageRef="msg_surat"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="waktu_habis"><bpmn:incoming>f_habis</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
  <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P2D"</bpmn:timeDuration>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="diterima"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
<bpmn:endEvent id="kedaluwarsa"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="tunggu"/>
<bpmn:sequenceFlow id="f_surat" sourceRef="tunggu" targetRef="surat_tiba"/>
<bpmn:sequenceFlow id="f_habis" sourceRef="tunggu" targetRef="waktu_habis"/>
<bpmn:sequenceFlow id="f2" sourceRef="surat_tiba" targetRef="diterima"/>
<bpmn:sequenceFlow id="f3" sourceRef="waktu_habis" targetRef="kedaluwarsa"/>
"""
EVENT_GATEWAY_LANES = {"Petugas": ["mulai", "tunggu", "surat_tiba", "waktu_habis", "diterima", "kedaluwarsa"]}


@pytest.fixture
def letter_or_expiry(project):
    project.diagram("surat.bpmn", "surat", EVENT_GATEWAY_BODY, EVENT_GATEWAY_LANES,
                    extra_processes='<bpmn:message id="msg_surat" name="surat_masuk"/>')
    return project.registry().latest("surat")


def test_given_the_waiting_time_ran_out_when_the_message_arrives_late_then_it_is_refused(
    engine, letter_or_expiry, clock
):
    started = engine.start(letter_or_expiry, {})
    clock.advance(days=2, minutes=1)

    with pytest.raises(NothingWaiting):
        engine.send_message(letter_or_expiry, started.state, "surat_masuk", {"nomor": "12/2026"})

    expired = engine.fire_timers(letter_or_expiry, started.state)
    assert "kedaluwarsa" in engine.inspect(letter_or_expiry, expired.state).completed_elements


def test_given_time_left_when_the_message_arrives_then_it_is_received(engine, letter_or_expiry, clock):
    started = engine.start(letter_or_expiry, {})
    clock.advance(days=1)

    received = engine.send_message(letter_or_expiry, started.state, "surat_masuk", {"nomor": "12/2026"})

    assert kinds(received) == ["message_received", "instance_completed"]
    assert "diterima" in engine.inspect(letter_or_expiry, received.state).completed_elements
