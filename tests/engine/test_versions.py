"""Editing a diagram: what changed between versions, and moving running instances safely."""

from __future__ import annotations

import pytest

from engine.versions import MigrationRefused, check_migration, diff_versions, migrate
from tests.engine.conftest import COMPLAINT_BODY, COMPLAINT_LANES, COMPLAINT_MESSAGE

RECEIVED = {"diterima_pada": "2026-03-17T09:00:00+07:00", "wilayah": "33.13"}
CHECKED = {"catatan": "sudah dicek", "layak": True}

# A new step "arsipkan" after the officer's check, before the reply.
ARCHIVE_STEP = """
<bpmn:userTask id="arsipkan" name="Arsipkan berkas"><bpmn:incoming>f_periksa</bpmn:incoming>
  <bpmn:outgoing>f_arsip</bpmn:outgoing></bpmn:userTask>
<bpmn:sequenceFlow id="f_arsip" sourceRef="arsipkan" targetRef="gw_layak"/>
"""


def edit(project, body=COMPLAINT_BODY, lanes=COMPLAINT_LANES):
    project.diagram("keluhan.bpmn", "keluhan", body, lanes, extra_processes=COMPLAINT_MESSAGE)


def with_archive_step(body: str) -> str:
    body = body.replace('<bpmn:sequenceFlow id="f_periksa" sourceRef="periksa" targetRef="gw_layak"/>',
                        '<bpmn:sequenceFlow id="f_periksa" sourceRef="periksa" targetRef="arsipkan"/>')
    body = body.replace('<bpmn:exclusiveGateway id="gw_layak" default="f_tolak"><bpmn:incoming>f_periksa</bpmn:incoming>',
                        '<bpmn:exclusiveGateway id="gw_layak" default="f_tolak"><bpmn:incoming>f_arsip</bpmn:incoming>')
    return body + ARCHIVE_STEP


def archive_lanes():
    lanes = {k: list(v) for k, v in COMPLAINT_LANES.items()}
    lanes["Petugas"].append("arsipkan")
    return lanes


def test_the_diff_names_added_removed_and_changed_steps_and_flows(project, complaint):
    body = with_archive_step(COMPLAINT_BODY).replace('name="Periksa pengaduan"', 'name="Periksa dan klasifikasi"')
    lanes = archive_lanes()
    lanes["Kepala"].remove("tindak_lanjut_kepala")
    lanes["Petugas"].append("tindak_lanjut_kepala")
    edit(project, body, lanes)
    project.form("uji/periksa.schema.json", {"catatan": {"type": "string"}, "layak": {"type": "boolean"},
                                             "topik": {"type": "string"}})
    new = project.registry().latest("keluhan")

    diff = diff_versions(complaint, new)

    assert [(e.element_id, e.title) for e in diff.added] == [("arsipkan", "Arsipkan berkas")]
    assert diff.removed == []
    changed = {e.element_id: e.changes for e in diff.changed}
    assert changed["periksa"]["name"] == ("Periksa pengaduan", "Periksa dan klasifikasi")
    assert "form_content" in changed["periksa"]
    assert changed["tindak_lanjut_kepala"]["lane"] == ("Kepala", "Petugas")
    assert [f.flow_id for f in diff.flows_added] == ["f_arsip"]
    assert [(old.target, new_.target) for old, new_ in diff.flows_changed] == [("gw_layak", "arsipkan")]


def test_new_instances_use_the_new_version_while_old_ones_finish_on_theirs(project, complaint, engine, clock):
    old_instance = engine.start(complaint, RECEIVED)
    edit(project, with_archive_step(COMPLAINT_BODY), archive_lanes())
    new = project.registry().latest("keluhan")

    new_instance = engine.start(new, RECEIVED)
    after_check_new = engine.complete(new, new_instance.state, new_instance.tasks[0].id, CHECKED, "Petugas")
    after_check_old = engine.complete(complaint, old_instance.state, old_instance.tasks[0].id, CHECKED, "Petugas")

    assert [t.name for t in after_check_new.tasks] == ["arsipkan"]
    assert after_check_old.status == "complete"


def test_an_instance_waiting_before_an_added_step_moves_and_takes_the_new_step(project, complaint, engine, clock):
    waiting = engine.start(complaint, RECEIVED)
    edit(project, with_archive_step(COMPLAINT_BODY), archive_lanes())
    new = project.registry().latest("keluhan")

    assert check_migration(engine, complaint, new, waiting.state).ok
    moved = migrate(engine, complaint, new, waiting.state)
    [task] = moved.tasks
    done = engine.complete(new, moved.state, task.id, CHECKED, "Petugas")

    assert [e.kind for e in moved.events][0] == "migrated"
    assert task.name == "periksa" and task.due == waiting.tasks[0].due
    assert [t.name for t in done.tasks] == ["arsipkan"]


def test_a_changed_form_and_lane_apply_to_a_waiting_task_after_migration(project, complaint, engine, clock):
    waiting = engine.start(complaint, RECEIVED)
    lanes = {"Analis": COMPLAINT_LANES["Petugas"], "Kepala": COMPLAINT_LANES["Kepala"]}
    edit(project, COMPLAINT_BODY, lanes)
    project.form("uji/periksa.schema.json", {"catatan": {"type": "string"}, "layak": {"type": "boolean"},
                                             "topik": {"type": "string"}}, ["catatan", "layak", "topik"])
    new = project.registry().latest("keluhan")

    moved = migrate(engine, complaint, new, waiting.state)

    [task] = moved.tasks
    assert task.lane == "Analis"
    assert task.form.schema["required"] == ["catatan", "layak", "topik"]


def test_a_dry_run_refuses_when_a_completed_step_changed_and_says_which(project, complaint, engine, clock):
    started = engine.start(complaint, RECEIVED)
    edit(project, COMPLAINT_BODY.replace("add_working_days(diterima_pada, 1)", "add_working_days(diterima_pada, 2)"))
    new = project.registry().latest("keluhan")

    check = check_migration(engine, complaint, new, started.state)

    assert not check.ok
    assert check.reasons == ["langkah yang sudah dikerjakan 'Hitung batas waktu' berubah di versi tujuan"]
    with pytest.raises(MigrationRefused):
        migrate(engine, complaint, new, started.state)


def test_a_waiting_step_that_was_removed_refuses_the_move(project, complaint, engine, clock):
    started = engine.start(complaint, RECEIVED)
    body = COMPLAINT_BODY.replace('id="periksa" name="Periksa pengaduan"', 'id="periksa_ulang" name="Periksa ulang"')
    body = body.replace('attachedToRef="periksa"', 'attachedToRef="periksa_ulang"')
    body = body.replace('targetRef="periksa"', 'targetRef="periksa_ulang"').replace('sourceRef="periksa"', 'sourceRef="periksa_ulang"')
    lanes = {"Petugas": [n if n != "periksa" else "periksa_ulang" for n in COMPLAINT_LANES["Petugas"]],
             "Kepala": COMPLAINT_LANES["Kepala"]}
    edit(project, body, lanes)
    new = project.registry().latest("keluhan")

    check = check_migration(engine, complaint, new, started.state)

    assert not check.ok
    assert "langkah yang sedang menunggu 'Periksa pengaduan' tidak ada di versi tujuan" in check.reasons


def test_an_instance_can_move_back_to_the_previous_version(project, complaint, engine, clock):
    waiting = engine.start(complaint, RECEIVED)
    edit(project, with_archive_step(COMPLAINT_BODY), archive_lanes())
    new = project.registry().latest("keluhan")
    moved = migrate(engine, complaint, new, waiting.state)

    back = migrate(engine, new, complaint, moved.state)
    done = engine.complete(complaint, back.state, back.tasks[0].id, CHECKED, "Petugas")

    assert done.status == "complete"
