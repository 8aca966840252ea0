"""Uploaded diagrams and forms are untrusted: checked whole before any version is made."""

from __future__ import annotations

import json

from engine.deploy import plan_deploy
from engine.registry import MAX_BPMN_BYTES
from tests.bpmn_builder import build_bpmn
from tests.engine.conftest import COMPLAINT_BODY, COMPLAINT_LANES, COMPLAINT_MESSAGE

FORMS = {
    "uji/mulai.schema.json": json.dumps({"type": "object", "properties": {"diterima_pada": {"type": "string"}}}),
    "uji/periksa.schema.json": json.dumps({"type": "object", "properties": {"catatan": {"type": "string"}}}),
}
DIAGRAM = build_bpmn("keluhan", COMPLAINT_BODY, COMPLAINT_LANES, extra_processes=COMPLAINT_MESSAGE)


def messages(plan):
    return [p.format() for p in plan.problems]


def test_a_clean_upload_plans_one_version_per_process():
    plan = plan_deploy({"keluhan.bpmn": DIAGRAM.encode()}, FORMS)

    assert plan.ok, messages(plan)
    [version] = plan.versions
    assert version.process_id == "keluhan"
    assert set(version.sources) == {"bpmn/keluhan.bpmn", "forms/uji/mulai.schema.json", "forms/uji/periksa.schema.json"}


def test_a_form_only_upload_changes_the_version_of_the_diagram_using_it():
    before = plan_deploy({"keluhan.bpmn": DIAGRAM}, FORMS).versions[0].hash
    changed = dict(FORMS)
    changed["uji/periksa.schema.json"] = json.dumps({"type": "object", "required": ["catatan"]})

    plan = plan_deploy({}, {"uji/periksa.schema.json": changed["uji/periksa.schema.json"]},
                       current_bpmn={"keluhan.bpmn": DIAGRAM}, current_forms=FORMS)

    assert plan.ok and plan.versions[0].hash != before


def test_external_entities_are_refused():
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>')
    plan = plan_deploy({"jahat.bpmn": xxe}, {})
    assert not plan.ok and "DOCTYPE" in messages(plan)[0]
    assert plan.versions == []


def test_billion_laughs_is_refused_without_expanding():
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE d [{entities}]><d>&l9;</d>'
    plan = plan_deploy({"bom.bpmn": bomb}, {})
    [problem] = plan.problems
    assert problem.file == "bom.bpmn" and plan.versions == []
    assert "DOCTYPE" in problem.message or "amplification" in problem.message


def test_an_oversized_file_is_refused():
    plan = plan_deploy({"besar.bpmn": b"<a>" + b" " * MAX_BPMN_BYTES + b"</a>"}, {})
    assert not plan.ok and "terlalu besar" in messages(plan)[0]


def test_a_script_that_escapes_the_sandbox_is_refused():
    evil = DIAGRAM.replace("batas = end_of_office_day(add_working_days(diterima_pada, 1))",
                           "batas = ().__class__.__base__.__subclasses__()")
    plan = plan_deploy({"keluhan.bpmn": evil}, FORMS)
    assert not plan.ok
    assert any("[hitung_batas] script ditolak sandbox" in m for m in messages(plan)), messages(plan)


def test_path_traversal_in_file_names_is_refused():
    plan = plan_deploy({"../../etc/cron.bpmn": DIAGRAM}, {"../rahasia.json": "{}"})
    assert [p.message for p in plan.problems] == [
        "nama berkas BPMN tidak sah (hanya huruf, angka, _ . -)", "nama berkas formulir tidak sah"
    ]


def test_a_lint_problem_refuses_the_whole_upload():
    broken = DIAGRAM.replace('default="f_tolak"', "")
    plan = plan_deploy({"keluhan.bpmn": broken}, FORMS)
    assert not plan.ok and plan.versions == []
    assert any("[gw_layak]" in m for m in messages(plan))


DEEP_JSON = '{"x": ' + "[" * 80_000 + "]" * 80_000 + "}"  # 160 kB: under the size limit
DEEP_SCHEMA = '{"properties": {"a": ' * 300 + "{}" + "}}" * 300  # parses, but too deep to check as a schema


def test_given_a_form_nested_too_deep_then_the_upload_is_refused_naming_the_file():
    for deep in (DEEP_JSON, DEEP_SCHEMA):
        plan = plan_deploy({"keluhan.bpmn": DIAGRAM}, {**FORMS, "uji/periksa.schema.json": deep})

        assert plan.versions == []
        assert messages(plan) == [
            "keluhan.bpmn:11: [periksa] uji/periksa.schema.json: berkas formulir bersarang terlalu dalam "
            "(terlalu banyak tingkat objek/daftar)"
        ]


def test_given_a_form_only_upload_nested_too_deep_then_it_is_refused():
    plan = plan_deploy({}, {"uji/periksa.schema.json": DEEP_JSON}, current_bpmn={"keluhan.bpmn": DIAGRAM},
                       current_forms=FORMS)

    assert not plan.ok and plan.versions == []
    assert "uji/periksa.schema.json: berkas formulir bersarang terlalu dalam" in messages(plan)[0]
