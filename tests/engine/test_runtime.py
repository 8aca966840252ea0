"""Running an instance: start, inbox items, completing, timers, messages, errors."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import (
    STATUS_COMPLETE,
    STATUS_ERROR,
    STATUS_RUNNING,
    FormInvalid,
    NothingWaiting,
    NotHumanTask,
    TaskNotFound,
    TaskNotReady,
    WrongLane,
)
from tests.bpmn_builder import form_props
from tests.engine.conftest import WIB

RECEIVED = {"diterima_pada": "2026-03-17T09:00:00+07:00", "wilayah": "33.13"}


def only(tasks, name):
    [task] = [t for t in tasks if t.name == name]
    return task


def test_start_runs_scripts_and_stops_at_the_first_human_task(engine, complaint, clock):
    result = engine.start(complaint, RECEIVED)

    assert result.status == STATUS_RUNNING
    [task] = result.tasks
    assert (task.name, task.title, task.lane) == ("periksa", "Periksa pengaduan", "Petugas")
    assert task.form is not None and task.form.schema_file == "uji/periksa.schema.json"
    assert result.data["batas"] == "2026-03-25T16:00:00+07:00"
    assert [e.kind for e in result.events] == ["task_ready"]


def test_a_task_due_moment_is_its_boundary_timer(engine, complaint, clock):
    """Received Tuesday 17 March 2026: 18-24 March are holidays, so due 16:00 WIB on 25 March."""
    result = engine.start(complaint, RECEIVED)

    assert result.tasks[0].due == datetime(2026, 3, 25, 16, 0, tzinfo=WIB)
    assert result.next_timer == datetime(2026, 3, 25, 16, 0, tzinfo=WIB)


def test_start_data_is_checked_against_the_start_form(engine, complaint, clock):
    with pytest.raises(FormInvalid) as refused:
        engine.start(complaint, {"diterima_pada": "kemarin", "wilayah": "63.10"})

    fields = {e.field: e.message for e in refused.value.errors}
    assert fields == {"diterima_pada": "bukan tanggal dan jam yang sah", "wilayah": "formatnya tidak sesuai"}


def test_completing_a_task_moves_on_and_sends_the_reply(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    task = started.tasks[0]

    done = engine.complete(complaint, started.state, task.id, {"catatan": "sudah ditangani", "layak": True}, "Petugas")

    assert done.status == STATUS_COMPLETE
    assert done.tasks == []
    assert [(m.name, m.payload) for m in done.messages] == [("balasan_pelapor", {"isi": "sudah ditangani"})]
    assert [e.kind for e in done.events] == ["task_completed", "message_sent", "instance_completed"]
    assert done.data["catatan"] == "sudah ditangani"
    assert done.next_timer is None  # the boundary timer went with its task


def test_the_default_flow_is_taken_when_no_condition_holds(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)

    done = engine.complete(complaint, started.state, started.tasks[0].id, {"catatan": "tidak layak", "layak": False}, "Petugas")

    assert done.status == STATUS_COMPLETE
    assert done.messages == []
    assert "ditolak" in engine.inspect(complaint, done.state).completed_elements


def test_a_task_is_completed_only_by_its_lane(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)

    with pytest.raises(WrongLane):
        engine.complete(complaint, started.state, started.tasks[0].id, {"catatan": "abc", "layak": True}, "Kepala")


def test_a_task_is_completed_only_once(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    task_id = started.tasks[0].id
    done = engine.complete(complaint, started.state, task_id, {"catatan": "abc", "layak": True}, "Petugas")

    with pytest.raises(TaskNotReady):
        engine.complete(complaint, done.state, task_id, {"catatan": "abc", "layak": True}, "Petugas")


def test_unknown_and_engine_tasks_cannot_be_completed(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    script_task = next(s for s in engine.inspect(complaint, started.state).completed if s.name == "hitung_batas")

    with pytest.raises(TaskNotFound):
        engine.complete(complaint, started.state, "00000000-0000-0000-0000-000000000000", {}, "Petugas")
    with pytest.raises(TaskNotFound):
        engine.complete(complaint, started.state, "bukan-uuid", {}, "Petugas")
    with pytest.raises(NotHumanTask):
        engine.complete(complaint, started.state, script_task.task_id, {}, "Petugas")


def test_invalid_form_data_lists_every_field_and_changes_nothing(engine, complaint, clock, monkeypatch):
    started = engine.start(complaint, RECEIVED)
    task_id = started.tasks[0].id
    dumped = []
    dumps = engine.serializer.dumps
    monkeypatch.setattr(engine.serializer, "dumps", lambda workflow: dumped.append(workflow) or dumps(workflow))

    with pytest.raises(FormInvalid) as refused:
        engine.complete(complaint, started.state, task_id, {"catatan": "x"}, "Petugas")

    assert {e.field for e in refused.value.errors} == {"catatan", "layak"}
    assert dumped == []  # no new state was written for the caller to store
    retried = engine.complete(complaint, started.state, task_id, {"catatan": "cukup", "layak": False}, "Petugas")
    assert retried.status == STATUS_COMPLETE and retried.data["catatan"] == "cukup"  # the held state still works


def test_a_timer_does_not_fire_before_its_due_moment(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    clock.set(datetime(2026, 3, 25, 15, 59, tzinfo=WIB))

    result = engine.fire_timers(complaint, started.state)

    assert [t.name for t in result.tasks] == ["periksa"]
    assert not [e for e in result.events if e.kind == "timer_fired"]


def test_a_passed_deadline_escalates_without_stopping_the_work(engine, complaint, clock):
    started = engine.start(complaint, RECEIVED)
    clock.set(datetime(2026, 3, 25, 16, 1, tzinfo=WIB))

    result = engine.fire_timers(complaint, started.state)

    assert sorted((t.name, t.lane) for t in result.tasks) == [("periksa", "Petugas"), ("tindak_lanjut_kepala", "Kepala")]
    assert [e.kind for e in result.events] == ["timer_fired", "task_ready"]
    assert result.next_timer is None
    assert only(result.tasks, "periksa").due == datetime(2026, 3, 25, 16, 0, tzinfo=WIB)  # still due then: late


def test_a_failing_script_puts_the_instance_in_error_and_retry_runs_it_again(engine, project, clock):
    project.form("uji/angka.schema.json", {"pembagi": {"type": "integer"}}, ["pembagi"])
    body = f"""
    <bpmn:startEvent id="mulai">{form_props("uji/angka.schema.json")}<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="hitung"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>hasil = 10 / pembagi</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="selesai"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="hitung"/>
    <bpmn:sequenceFlow id="f2" sourceRef="hitung" targetRef="selesai"/>"""
    project.diagram("bagi.bpmn", "bagi", body, {"Petugas": ["mulai", "hitung", "selesai"]})
    version = project.registry().latest("bagi")

    failed = engine.start(version, {"pembagi": 0})

    assert failed.status == STATUS_ERROR
    [error] = [e for e in failed.events if e.kind == "error"]
    assert error.task_name == "hitung" and "division by zero" in error.detail["message"]
    view = engine.inspect(version, failed.state)
    [errored] = view.errored
    fixed = engine.update_data(version, failed.state, errored.task_id, {"pembagi": 5})
    retried = engine.retry(version, fixed)
    assert retried.status == STATUS_COMPLETE
    assert retried.data["hasil"] == 2


def test_messages_and_signals_reach_the_tasks_waiting_for_them(engine, project, clock):
    body = """
    <bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="tunggu_surat"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition id="def_surat" messageRef="msg_surat"/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="tunggu_izin"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:signalEventDefinition id="def_izin" signalRef="sig_izin"/></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="selesai"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="tunggu_surat"/>
    <bpmn:sequenceFlow id="f2" sourceRef="tunggu_surat" targetRef="tunggu_izin"/>
    <bpmn:sequenceFlow id="f3" sourceRef="tunggu_izin" targetRef="selesai"/>"""
    extra = '<bpmn:message id="msg_surat" name="surat_masuk"/><bpmn:signal id="sig_izin" name="izin_terbit"/>'
    project.diagram("surat.bpmn", "surat", body, {"Petugas": ["mulai", "tunggu_surat", "tunggu_izin", "selesai"]},
                    extra_processes=extra)
    version = project.registry().latest("surat")
    started = engine.start(version, {})
    assert started.status == "waiting"

    with pytest.raises(NothingWaiting):
        engine.send_signal(version, started.state, "izin_terbit")
    after_message = engine.send_message(version, started.state, "surat_masuk", {"nomor": "12/2026"})
    done = engine.send_signal(version, after_message.state, "izin_terbit")

    assert [e.kind for e in after_message.events] == ["message_received"]
    assert done.status == STATUS_COMPLETE


def script_process(project, process_id: str, script: str):
    body = f"""
    <bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="hitung" name="Hitung"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="selesai"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="hitung"/>
    <bpmn:sequenceFlow id="f2" sourceRef="hitung" targetRef="selesai"/>"""
    project.diagram(f"{process_id}.bpmn", process_id, body, {"Petugas": ["mulai", "hitung", "selesai"]})
    return project.registry().latest(process_id)


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("import os\nisi = os.listdir('/')", "baris 1: import tidak diizinkan dalam skrip diagram"),
        ("while True: pass", "skrip diagram melebihi batas langkah (kemungkinan perulangan tanpa akhir)"),
        ("x = 'x' * 10**10", "hasil perkalian terlalu besar dalam skrip diagram (10000000000 butir; batas 1000000)"),
    ],
)
def test_given_a_script_the_sandbox_stops_then_the_instance_is_in_error_at_that_task(engine, project, clock, script, reason):
    version = script_process(project, "skrip", script)

    result = engine.start(version, {})

    assert result.status == STATUS_ERROR
    [error] = [e for e in result.events if e.kind == "error"]
    assert (error.task_name, error.detail["message"]) == ("hitung", reason)
    [errored] = engine.inspect(version, result.state).errored
    assert (errored.name, errored.title) == ("hitung", "Hitung")


def test_a_task_with_a_unit_field_is_routed_to_the_unit_its_data_names(engine, project, clock):
    """`unitField` names the data field holding the target unit; the ready task carries its value."""
    body = (
        '<bpmn:startEvent id="mulai"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="telaah"/>'
        f'<bpmn:userTask id="telaah" name="Telaah">{form_props(unitField="unit_tujuan")}</bpmn:userTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="telaah" targetRef="selesai"/>'
        '<bpmn:endEvent id="selesai"/>'
    )
    project.diagram("uji_unit.bpmn", "uji_unit", body, {"Analis": ["mulai", "telaah", "selesai"]})
    version = project.registry().latest("uji_unit")

    routed = engine.start(version, {"unit_tujuan": "bidang.infrastruktur"}, validate=False)
    unrouted = engine.start(version, {}, validate=False)

    assert version.tasks["telaah"].unit_field == "unit_tujuan"
    assert routed.tasks[0].unit == "bidang.infrastruktur"
    assert unrouted.tasks[0].unit is None
    # The history keeps where the task went, for after it is done.
    assert [e.detail for e in routed.events if e.kind == "task_ready"] == [
        {"lane": "Analis", "unit": "bidang.infrastruktur"}]
    assert [e.detail for e in unrouted.events if e.kind == "task_ready"] == [{"lane": "Analis"}]


def test_a_multi_instance_task_gives_each_item_its_own_task_routed_to_that_items_unit(engine, project, clock):
    """Over a list of unit codes, `unitField` naming the `inputDataItem` routes each instance to its unit."""
    body = (
        '<bpmn:startEvent id="mulai"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="tindak_lanjut"/>'
        f'<bpmn:userTask id="tindak_lanjut" name="Tindak lanjut">{form_props(unitField="unit")}'
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>tujuan</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="unit" name="unit"/></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="tindak_lanjut" targetRef="selesai"/>'
        '<bpmn:endEvent id="selesai"/>'
    )
    project.diagram("uji_banyak.bpmn", "uji_banyak", body, {"Komisi": ["mulai", "tindak_lanjut", "selesai"]})
    version = project.registry().latest("uji_banyak")

    result = engine.start(version, {"tujuan": ["komisi_1", "komisi_3"]}, validate=False)

    assert sorted((t.unit, t.lane) for t in result.tasks) == [("komisi_1", "Komisi"), ("komisi_3", "Komisi")]
    first = next(t for t in result.tasks if t.unit == "komisi_1")
    result = engine.complete(version, result.state, first.id, {}, lane="Komisi", validate=False)
    assert [t.unit for t in result.tasks] == ["komisi_3"]
    result = engine.complete(version, result.state, result.tasks[0].id, {}, lane="Komisi", validate=False)
    assert result.status == "complete"
