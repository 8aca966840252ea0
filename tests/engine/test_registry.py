"""Process versions: found in processes/, identified by content, kept while instances use them."""

from __future__ import annotations

import pytest

from engine import ProcessFileError, ProcessRegistry
from tests.bpmn_builder import form_props
from tests.engine.conftest import COMPLAINT_BODY, COMPLAINT_LANES, COMPLAINT_MESSAGE


def write_complaint(project, title="Periksa pengaduan"):
    project.form("uji/mulai.schema.json", {"diterima_pada": {"type": "string"}, "wilayah": {"type": "string"}})
    project.form("uji/periksa.schema.json", {"catatan": {"type": "string"}, "layak": {"type": "boolean"}})
    body = COMPLAINT_BODY.replace('name="Periksa pengaduan"', f'name="{title}"')
    project.diagram("keluhan.bpmn", "keluhan", body, COMPLAINT_LANES, extra_processes=COMPLAINT_MESSAGE)


def test_every_executable_process_is_loaded_with_its_lanes_start_and_forms(project):
    write_complaint(project)
    version = project.registry().latest("keluhan")

    assert version.name == "Proses uji"
    assert version.lanes == ["Petugas", "Kepala"]
    assert version.start.lane == "Petugas"
    assert version.start.properties["regionField"] == "wilayah"
    assert version.start.form.schema_file == "uji/mulai.schema.json"
    assert set(version.tasks) == {"periksa", "tindak_lanjut_kepala"}
    assert sorted(k for k in version.sources) == [
        "bpmn/keluhan.bpmn", "forms/uji/mulai.schema.json", "forms/uji/periksa.schema.json"
    ]


def test_given_a_version_then_each_element_id_gives_the_name_the_diagram_shows(project):
    write_complaint(project, title="Periksa dan klasifikasi")
    version = project.registry().latest("keluhan")

    assert version.element_title("periksa") == "Periksa dan klasifikasi"
    assert version.element_title("terlambat") == "Batas terlewati"  # a timer, not only human steps
    assert version.element_title("hitung_batas") == "Hitung batas waktu"
    assert version.element_title("tidak_ada") is None and version.element_title(None) is None


def test_unchanged_files_give_the_same_version(project):
    write_complaint(project)
    first = project.registry().latest("keluhan")

    assert project.registry().latest("keluhan").hash == first.hash


def test_an_edited_diagram_is_a_new_version_and_the_old_one_is_kept(project):
    write_complaint(project)
    registry = project.registry()
    old = registry.latest("keluhan")

    write_complaint(project, title="Periksa dan klasifikasi")
    new_versions = registry.load_directory(project.processes, project.forms)

    assert [v.hash for v in new_versions] == [registry.latest("keluhan").hash]
    assert registry.latest("keluhan").hash != old.hash
    assert registry.get("keluhan", old.hash).tasks["periksa"].title == "Periksa pengaduan"
    assert registry.latest("keluhan").tasks["periksa"].title == "Periksa dan klasifikasi"
    assert registry.load_directory(project.processes, project.forms) == []


def test_a_form_only_change_is_a_new_version(project):
    write_complaint(project)
    registry = project.registry()
    old = registry.latest("keluhan").hash

    project.form("uji/periksa.schema.json", {"catatan": {"type": "string", "maxLength": 500}})
    registry.load_directory(project.processes, project.forms)

    assert registry.latest("keluhan").hash != old


def test_a_stored_version_is_rebuilt_from_its_sources(project):
    write_complaint(project)
    version = project.registry().latest("keluhan")

    rebuilt = ProcessRegistry().add("keluhan", version.sources)

    assert rebuilt.hash == version.hash
    assert set(rebuilt.tasks) == set(version.tasks)


def test_registries_of_one_process_share_a_parsed_version_and_an_edit_is_parsed_anew(project):
    """Each app has its own registry; the same files are parsed once per process, not once per app."""
    write_complaint(project)
    first = project.registry().latest("keluhan")
    again = project.registry().latest("keluhan")
    write_complaint(project, title="Periksa laporan")
    edited = project.registry().latest("keluhan")

    assert again is first
    assert edited is not first and edited.hash != first.hash
    assert edited.spec.task_specs["periksa"].bpmn_name == "Periksa laporan"
    assert first.spec.task_specs["periksa"].bpmn_name == "Periksa pengaduan"


def test_call_activities_bring_their_called_process_from_another_file(project, engine, clock):
    project.diagram(
        "anak.bpmn", "anak",
        """<bpmn:startEvent id="a_mulai"><bpmn:outgoing>a1</bpmn:outgoing></bpmn:startEvent>
        <bpmn:userTask id="a_kerja" name="Kerja anak"><bpmn:incoming>a1</bpmn:incoming><bpmn:outgoing>a2</bpmn:outgoing>
        </bpmn:userTask><bpmn:endEvent id="a_selesai"><bpmn:incoming>a2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="a1" sourceRef="a_mulai" targetRef="a_kerja"/>
        <bpmn:sequenceFlow id="a2" sourceRef="a_kerja" targetRef="a_selesai"/>""",
        {"Anak": ["a_mulai", "a_kerja", "a_selesai"]},
    )
    project.diagram(
        "induk.bpmn", "induk",
        """<bpmn:startEvent id="i_mulai"><bpmn:outgoing>i1</bpmn:outgoing></bpmn:startEvent>
        <bpmn:callActivity id="panggil_anak" calledElement="anak"><bpmn:incoming>i1</bpmn:incoming>
        <bpmn:outgoing>i2</bpmn:outgoing></bpmn:callActivity>
        <bpmn:endEvent id="i_selesai"><bpmn:incoming>i2</bpmn:incoming></bpmn:endEvent>
        <bpmn:sequenceFlow id="i1" sourceRef="i_mulai" targetRef="panggil_anak"/>
        <bpmn:sequenceFlow id="i2" sourceRef="panggil_anak" targetRef="i_selesai"/>""",
        {"Induk": ["i_mulai", "panggil_anak", "i_selesai"]},
    )
    version = project.registry().latest("induk")

    assert set(version.subprocess_specs) == {"anak"}
    assert set(version.sources) == {"bpmn/induk.bpmn", "bpmn/anak.bpmn"}
    started = engine.start(version, {})
    [task] = started.tasks
    assert (task.name, task.lane) == ("a_kerja", "Anak")
    assert engine.complete(version, started.state, task.id, {}, "Anak").status == "complete"


def test_a_missing_called_process_is_reported(project):
    project.diagram(
        "induk.bpmn", "induk",
        """<bpmn:startEvent id="i_mulai"><bpmn:outgoing>i1</bpmn:outgoing></bpmn:startEvent>
        <bpmn:callActivity id="panggil" calledElement="tidak_ada"><bpmn:incoming>i1</bpmn:incoming></bpmn:callActivity>
        <bpmn:sequenceFlow id="i1" sourceRef="i_mulai" targetRef="panggil"/>""",
        {"Induk": ["i_mulai", "panggil"]},
    )
    with pytest.raises(ProcessFileError, match="tidak_ada"):
        project.registry()


def test_a_missing_form_file_is_reported_with_its_path(project):
    body = f"""<bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="isi" name="Isi">{form_props("uji/hilang.schema.json")}<bpmn:incoming>f1</bpmn:incoming>
    </bpmn:userTask><bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="isi"/>"""
    project.diagram("p.bpmn", "p", body, {"A": ["mulai", "isi"]})
    with pytest.raises(ProcessFileError, match="forms/uji/hilang.schema.json"):
        project.registry()


def test_xml_with_entities_is_refused(project):
    (project.processes / "jahat.bpmn").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&b;</bpmn:definitions>'
    )
    with pytest.raises(ProcessFileError, match="DOCTYPE"):
        project.registry()
