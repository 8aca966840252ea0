"""The diagrams as an analyst opens them: valid BPMN, fully drawn, readable.

Checks what bpmn.io / Camunda Modeler need (a shape for every node, lane and data object
reference, an edge for every flow and data association, lanes as horizontal rows of one
pool, expanded subprocesses drawn open) and what keeps the drawing readable (shapes inside
their own lane and their subprocess box, none overlapping, boundary events on their
task's border, edges attached to their ends and drawn with straight segments).
"""

from __future__ import annotations

import json
from itertools import combinations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .conftest import ROOT

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
ROLES = {
    "Ketua RT", "Ketua RW", "Kepala Desa", "Operator Kecamatan", "Tim Musrenbang Kecamatan", "OPD",
    "Baperlitbang", "Tim Pengaduan", "Pejabat Analis", "Penghubung Lintas OPD", "Kepala Baperlitbang",
    "Subbag Umum", "Sekretaris DPRD", "Kabag Pengawasan", "Kasubbag Aspirasi", "Pimpinan DPRD",
    "Alat Kelengkapan DPRD", "Subbag Pengaduan dan Layanan Aspirasi",
}  # fmt: skip
FLOW_NODES = (
    "startEvent", "endEvent", "userTask", "scriptTask", "exclusiveGateway", "parallelGateway",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "subProcess", "receiveTask", "sendTask",
)  # fmt: skip
ASSOCIATIONS = ("dataInputAssociation", "dataOutputAssociation")
FILES = ["musrenbang", "pengaduan", "aspirasi", "pengaduan_layanan_dprd", "forum_musrenbang_cam", "forum_gabungan_opd",
         "forum_musrenbang_kab", "forum_musrenbang_desa"]


def load(name):
    return etree.parse(str(ROOT / "processes" / f"{name}.bpmn"))


def bounds(tree):
    found = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return found


def flow_nodes(tree):
    """Every flow node of the process, including those inside embedded subprocesses."""
    process = tree.find("bpmn:process", NS)
    return [el for el in process.iter() if isinstance(el.tag, str) and etree.QName(el).localname in FLOW_NODES]


def data_associations(tree):
    """(association id, source id, target id) for every data association: a task writes or reads a reference."""
    found = []
    for kind in ASSOCIATIONS:
        for assoc in tree.iterfind(f".//bpmn:{kind}", NS):
            task = assoc.getparent().get("id")
            if kind == "dataOutputAssociation":
                found.append((assoc.get("id"), task, assoc.findtext("bpmn:targetRef", namespaces=NS)))
            else:
                found.append((assoc.get("id"), assoc.findtext("bpmn:sourceRef", namespaces=NS), task))
    return found


def enclosing_subprocess(el):
    parent = el.getparent()
    return parent if etree.QName(parent).localname == "subProcess" else None


@pytest.mark.parametrize("name", FILES)
def test_the_file_validates_against_the_bpmn_schema_and_parses_for_spiffworkflow(name):
    parser = SpiffBpmnParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(ROOT / "processes" / f"{name}.bpmn"))
    spec = parser.get_spec(name)
    assert spec.name == name


@pytest.mark.parametrize("name", FILES)
def test_one_executable_process_in_one_pool_with_lanes_named_after_roles(name):
    tree = load(name)
    processes = tree.findall("bpmn:process", NS)
    assert [(p.get("id"), p.get("isExecutable")) for p in processes] == [(name, "true")]
    assert processes[0].get("name")
    participants = tree.findall("bpmn:collaboration/bpmn:participant", NS)
    assert [p.get("processRef") for p in participants] == [name]
    lanes = processes[0].findall("bpmn:laneSet/bpmn:lane", NS)
    assert lanes and {lane.get("name") for lane in lanes} <= ROLES
    in_lanes = [ref.text for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)]
    assert sorted(in_lanes) == sorted(el.get("id") for el in flow_nodes(tree))  # each node in exactly one lane


@pytest.mark.parametrize("name", FILES)
def test_every_node_lane_and_flow_is_drawn(name):
    tree = load(name)
    drawn = bounds(tree)
    process = tree.find("bpmn:process", NS)
    wanted = [el.get("id") for el in flow_nodes(tree)]
    wanted += [lane.get("id") for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)]
    wanted += [p.get("id") for p in tree.iterfind("bpmn:collaboration/bpmn:participant", NS)]
    wanted += [r.get("id") for r in process.iterfind(".//bpmn:dataObjectReference", NS)]
    wanted += [a.get("id") for a in process.iterfind(".//bpmn:textAnnotation", NS)]
    assert [w for w in wanted if w not in drawn] == []
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    flows = [f.get("id") for f in process.iterfind(".//bpmn:sequenceFlow", NS)]
    flows += [assoc_id for assoc_id, _, _ in data_associations(tree)]
    flows += [a.get("id") for a in process.iterfind(".//bpmn:association", NS)]  # notes attached to a step
    assert sorted(edges) == sorted(flows)
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        element = tree.find(f".//*[@id='{shape.get('bpmnElement')}']")
        kind = etree.QName(element).localname
        if kind in ("participant", "lane"):
            assert shape.get("isHorizontal") == "true"
        if kind == "exclusiveGateway":
            assert shape.get("isMarkerVisible") == "true"
        if kind == "subProcess":
            assert shape.get("isExpanded") == "true"  # its steps are drawn inside the box


@pytest.mark.parametrize("name", FILES)
def test_shapes_sit_inside_their_lane_and_do_not_overlap(name):
    tree = load(name)
    drawn = bounds(tree)
    process = tree.find("bpmn:process", NS)
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        lx, ly, lw, lh = drawn[lane.get("id")]
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            x, y, w, h = drawn[ref.text]
            if tree.find(f".//bpmn:boundaryEvent[@id='{ref.text}']", NS) is not None:
                continue  # drawn on its task's border, checked below
            assert lx + 30 <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (ref.text, lane.get("name"))
    nodes = [el for el in flow_nodes(tree) if etree.QName(el).localname != "boundaryEvent"]
    nodes += list(process.iterfind(".//bpmn:dataObjectReference", NS))
    for a, b in combinations(nodes, 2):
        if enclosing_subprocess(a) is b or enclosing_subprocess(b) is a:
            continue  # a step drawn inside its subprocess box, checked below
        ax, ay, aw, ah = drawn[a.get("id")]
        bx, by, bw, bh = drawn[b.get("id")]
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a.get("id"), b.get("id"))
    for el in nodes:
        box = enclosing_subprocess(el)
        if box is not None and etree.QName(el).localname != "boundaryEvent":
            x, y, w, h = drawn[el.get("id")]
            sx, sy, sw, sh = drawn[box.get("id")]
            assert sx <= x and x + w <= sx + sw and sy <= y and y + h <= sy + sh, (el.get("id"), box.get("id"))


@pytest.mark.parametrize("name", FILES)
def test_the_steps_of_a_subprocess_are_in_the_lane_of_the_subprocess(name):
    """SpiffWorkflow gives every step inside an embedded subprocess the subprocess's lane; the drawing agrees."""
    tree = load(name)
    process = tree.find("bpmn:process", NS)
    lane_of = {
        ref.text: lane.get("name")
        for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS)
        for ref in lane.findall("bpmn:flowNodeRef", NS)
    }
    for box in process.iterfind(".//bpmn:subProcess", NS):
        inside = [el.get("id") for el in flow_nodes(tree) if box in el.iterancestors()]
        assert inside and {lane_of[i] for i in inside} == {lane_of[box.get("id")]}, box.get("id")


@pytest.mark.parametrize("name", FILES)
def test_boundary_timers_sit_on_their_tasks_border_and_only_end_waits_for_a_decision(name):
    tree = load(name)
    drawn = bounds(tree)
    receive_tasks = {t.get("id") for t in tree.iterfind(".//bpmn:receiveTask", NS)}
    for event in tree.iterfind(".//bpmn:boundaryEvent", NS):
        # Deadlines watch work without stopping it; only a wait for another process's decision
        # (a receive task) is ended by its timer (a forum's cut-off carries the case to the next cycle).
        interrupting = event.get("cancelActivity", "true") != "false"
        assert not interrupting or event.get("attachedToRef") in receive_tasks, event.get("id")
        x, y, w, h = drawn[event.get("id")]
        tx, ty, tw, th = drawn[event.get("attachedToRef")]
        cx, cy = x + w / 2, y + h / 2
        on_bottom = abs(cy - (ty + th)) < 1 and tx <= cx <= tx + tw
        on_top = abs(cy - ty) < 1 and tx <= cx <= tx + tw
        on_side = (abs(cx - tx) < 1 or abs(cx - (tx + tw)) < 1) and ty <= cy <= ty + th
        assert on_bottom or on_top or on_side, event.get("id")


def _on_border(point, box):
    """On the shape's outline or inside its box (a diamond's edge lies inside its box)."""
    px, py = point
    x, y, w, h = box
    return x - 1 <= px <= x + w + 1 and y - 1 <= py <= y + h + 1


@pytest.mark.parametrize("name", FILES)
def test_edges_start_at_their_source_end_at_their_target_and_run_straight(name):
    tree = load(name)
    drawn = bounds(tree)
    ends = [(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in tree.iterfind(".//bpmn:sequenceFlow", NS)]
    for flow_id, source, target in ends + data_associations(tree):
        edge = tree.find(f".//bpmndi:BPMNEdge[@bpmnElement='{flow_id}']", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        assert len(points) >= 2
        assert _on_border(points[0], drawn[source]), flow_id
        assert _on_border(points[-1], drawn[target]), flow_id
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            assert x0 == x1 or y0 == y1, (flow_id, (x0, y0), (x1, y1))


@pytest.mark.parametrize("name", FILES)
def test_decisions_have_a_default_flow_and_conditions_on_the_others(name):
    tree = load(name)
    for gateway in tree.iterfind(".//bpmn:exclusiveGateway", NS):
        outgoing = tree.findall(f".//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']", NS)
        if len(outgoing) < 2:
            continue
        default = gateway.get("default")
        assert default in {f.get("id") for f in outgoing}, gateway.get("id")
        for flow in outgoing:
            has_condition = flow.find("bpmn:conditionExpression", NS) is not None
            assert has_condition == (flow.get("id") != default), flow.get("id")


@pytest.mark.parametrize("name", FILES)
def test_every_human_task_and_the_start_have_a_form_that_exists(name):
    tree = load(name)
    forms = ROOT / "forms"
    # The process's own start carries the start form; a subprocess's start is only where the box begins.
    elements = tree.findall(".//bpmn:userTask", NS) + tree.findall("bpmn:process/bpmn:startEvent", NS)
    for element in elements:
        props = {
            p.get("name"): p.get("value")
            for p in element.iterfind("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)
        }
        schema_file = props["formJsonSchemaFilename"]
        assert schema_file == f"{name}/{element.get('id')}.schema.json"
        schema = json.loads((forms / schema_file).read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["title"] and schema["type"] == "object"
        assert schema.get("additionalProperties") is False  # a form cannot overwrite other data
        for field, spec in schema["properties"].items():
            assert spec.get("title"), (schema_file, field)
        ui_file = props.get("formUiSchemaFilename")
        if ui_file:
            ui = json.loads((forms / ui_file).read_text(encoding="utf-8"))
            assert sorted(ui["ui:order"]) == sorted(schema["properties"])


def test_every_form_file_belongs_to_a_task():
    used = set()
    for name in FILES:
        for prop in load(name).iterfind(".//spiffworkflow:property", NS):
            if prop.get("name") in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                used.add(prop.get("value"))
    on_disk = {p.relative_to(ROOT / "forms").as_posix() for p in (ROOT / "forms").rglob("*.json")}
    assert on_disk == used


def test_personal_fields_are_marked_for_hiding():
    def personal(path):
        schema = json.loads((ROOT / "forms" / path).read_text(encoding="utf-8"))
        return {k for k, v in schema["properties"].items() if v.get("x-alur-personal")}

    assert personal("pengaduan/pengaduan_masuk.schema.json") == {"nama_pelapor", "email", "telepon"}
    assert personal("musrenbang/usulan_rt.schema.json") == {
        "nik_pengusul", "nama_pengusul", "alamat_pengusul", "telepon_pengusul",
    }  # fmt: skip
    assert personal("aspirasi/registrasi_aspirasi.schema.json") == {
        "penanggung_jawab", "telepon_penanggung_jawab", "email_penanggung_jawab"
    }


def test_local_holidays_are_small_dated_and_scoped_to_a_region():
    rows = json.loads((ROOT / "processes" / "hari_libur.json").read_text(encoding="utf-8"))
    assert rows and all(set(r) == {"tanggal", "nama", "wilayah"} for r in rows)
    assert {r["wilayah"] for r in rows} <= {"33.13", "63.10"}


def test_the_engine_lint_finds_nothing_to_fix():
    from engine.lint import lint_paths

    report = lint_paths([ROOT / "processes"], ROOT / "forms")
    assert report.ok, report.format()
