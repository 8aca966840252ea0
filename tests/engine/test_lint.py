"""`alur lint` finds, with file, line and element, what would break a diagram in production."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from api.cli import cli
from engine.lint import lint_paths
from tests.bpmn_builder import form_props

GOOD_FORM = {"catatan": {"type": "string"}}


def body(task: str = "", flows: str = "", gateway_default: bool = True) -> str:
    default = ' default="f_tidak"' if gateway_default else ""
    otherwise = "" if gateway_default else "<bpmn:conditionExpression>layak == False</bpmn:conditionExpression>"
    return f"""
    <bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {task or '<bpmn:userTask id="periksa" name="Periksa"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'}
    <bpmn:exclusiveGateway id="gw_layak"{default}><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_ya</bpmn:outgoing><bpmn:outgoing>f_tidak</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="selesai"><bpmn:incoming>f_ya</bpmn:incoming><bpmn:incoming>f_tidak</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="periksa"/>
    <bpmn:sequenceFlow id="f2" sourceRef="periksa" targetRef="gw_layak"/>
    <bpmn:sequenceFlow id="f_ya" sourceRef="gw_layak" targetRef="selesai">
      <bpmn:conditionExpression>layak == True</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_tidak" sourceRef="gw_layak" targetRef="selesai">{otherwise}</bpmn:sequenceFlow>
    {flows}"""


LANES = {"Petugas": ["mulai", "periksa", "gw_layak", "selesai"]}


def lint(project, text, lanes=LANES, **kw):
    project.diagram("uji.bpmn", "uji", text, lanes, **{k: v for k, v in kw.items() if k == "omit_shapes"})
    report = lint_paths([project.processes], known_roles=kw.get("known_roles"))
    return [(p.element, p.message) for p in report.problems], report


def test_a_clean_diagram_has_no_problems(project):
    problems, report = lint(project, body())
    assert problems == []
    assert report.ok and report.summary() == "1 berkas diperiksa, tidak ada masalah."


def test_xsd_errors_are_reported_with_their_line(project):
    (project.processes / "rusak.bpmn").write_text(
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">\n'
        '<bpmn:process id="p" isExecutable="true"><bpmn:bukanElemen id="x"/></bpmn:process>\n</bpmn:definitions>'
    )
    [problem] = lint_paths([project.processes / "rusak.bpmn"]).problems
    assert problem.line == 2 and "XSD" in problem.message and "bukanElemen" in problem.message


def test_a_human_task_outside_every_lane_is_reported(project):
    problems, _ = lint(project, body(), lanes={"Petugas": ["mulai", "gw_layak", "selesai"]})
    assert ("periksa", "tugas manusia tanpa lajur peran: tidak ada peran yang dapat melihatnya") in problems


def test_a_lane_that_is_no_known_role_is_reported_when_roles_are_known(project):
    problems, _ = lint(project, body(), known_roles={"Ketua RT"})
    assert ("lane_0", "lajur 'Petugas' bukan peran yang dikenal sistem") in problems
    assert lint(project, body(), known_roles={"Petugas"})[0] == []


def test_missing_and_invalid_form_files_are_reported(project):
    project.form("uji/rusak.schema.json", {"catatan": {"type": "teks"}})
    task = (
        f'<bpmn:userTask id="periksa" name="Periksa">{form_props("uji/hilang.schema.json", "uji/rusak.schema.json")}'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
    )
    (project.forms / "uji" / "rusak.schema.json").write_text('{"type": "teks"}')
    problems, _ = lint(project, body(task))
    messages = [m for element, m in problems if element == "periksa"]
    assert "berkas formulir tidak ada: forms/uji/hilang.schema.json" in messages


def test_a_form_nested_too_deep_is_reported_not_a_crash(project):
    (project.forms / "uji").mkdir()
    (project.forms / "uji" / "dalam.schema.json").write_text('{"x": ' + "[" * 80_000 + "]" * 80_000 + "}")
    (project.forms / "uji" / "dalam.ui.json").write_text("[" * 80_000 + "]" * 80_000)
    task = (
        f'<bpmn:userTask id="periksa" name="Periksa">{form_props("uji/dalam.schema.json", "uji/dalam.ui.json")}'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
    )
    problems, report = lint(project, body(task))
    assert problems == [
        ("periksa", f"uji/{name}: berkas formulir bersarang terlalu dalam (terlalu banyak tingkat objek/daftar)")
        for name in ("dalam.schema.json", "dalam.ui.json")
    ]
    assert not report.ok


def test_an_invalid_json_schema_is_reported(project):
    (project.forms / "uji").mkdir()
    (project.forms / "uji" / "rusak.schema.json").write_text('{"type": "teks"}')
    task = (
        f'<bpmn:userTask id="periksa" name="Periksa">{form_props("uji/rusak.schema.json")}'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
    )
    problems, _ = lint(project, body(task))
    [(element, message)] = problems
    assert element == "periksa" and "bukan JSON Schema yang sah" in message


@pytest.mark.parametrize(("annotation", "words"), [
    ({"format": "date", "x-alur-not-after": "besok"}, "x-alur-not-after harus \"now\" atau durasi ISO 8601"),
    ({"format": "date", "x-alur-not-before": "P1X"}, "x-alur-not-before harus \"now\" atau durasi ISO 8601"),
    ({"format": "date", "x-alur-not-before": 365}, "x-alur-not-before harus"),
    ({"format": "date", "x-alur-not-before-field": "tanggal rt"}, "x-alur-not-before-field harus nama sebuah isian"),
    ({"x-alur-not-after": "now"}, "x-alur-not-after hanya untuk isian berformat date atau date-time"),
])
def test_given_a_malformed_date_bound_then_lint_reports_the_form_and_the_field(project, annotation, words):
    (project.forms / "uji").mkdir()
    schema = {"type": "object", "properties": {"tanggal": {"type": "string", "title": "Tanggal", **annotation}}}
    (project.forms / "uji" / "batas.schema.json").write_text(json.dumps(schema))
    task = (
        f'<bpmn:userTask id="periksa" name="Periksa">{form_props("uji/batas.schema.json")}'
        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
    )
    problems, report = lint(project, body(task))
    [(element, message)] = problems
    assert element == "periksa" and message.startswith("uji/batas.schema.json: isian tanggal: ")
    assert words in message and not report.ok


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("P3D", 'ekspresi timer P3D harus ditulis dalam tanda kutip: "P3D"'),
        ('"P3X"', "'P3X' bukan timeDuration ISO 8601 yang sah"),
        ("batas.__class__", "ekspresi timer tidak dapat dikompilasi"),
    ],
)
def test_timer_expressions_that_cannot_work_are_reported(project, expression, expected):
    timer = f"""<bpmn:boundaryEvent id="terlambat" attachedToRef="periksa" cancelActivity="false">
      <bpmn:outgoing>f_telat</bpmn:outgoing><bpmn:timerEventDefinition>
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:boundaryEvent><bpmn:endEvent id="telat_selesai"><bpmn:incoming>f_telat</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="f_telat" sourceRef="terlambat" targetRef="telat_selesai"/>"""
    lanes = {"Petugas": ["mulai", "periksa", "gw_layak", "selesai", "telat_selesai"]}
    problems, _ = lint(project, body(flows=timer), lanes=lanes)
    assert any(element == "terlambat" and message.startswith(expected) for element, message in problems), problems


def test_quoted_durations_and_data_expressions_pass(project):
    timer = """<bpmn:boundaryEvent id="terlambat" attachedToRef="periksa" cancelActivity="false">
      <bpmn:outgoing>f_telat</bpmn:outgoing><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">batas_respon</bpmn:timeDate></bpmn:timerEventDefinition>
      </bpmn:boundaryEvent><bpmn:endEvent id="telat_selesai"><bpmn:incoming>f_telat</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="f_telat" sourceRef="terlambat" targetRef="telat_selesai"/>"""
    lanes = {"Petugas": ["mulai", "periksa", "gw_layak", "selesai", "telat_selesai"]}
    assert lint(project, body(flows=timer), lanes=lanes)[0] == []


def test_scripts_and_conditions_the_sandbox_refuses_are_reported(project):
    task = """<bpmn:scriptTask id="periksa" name="Hitung"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>import os
x = os.listdir('/')</bpmn:script></bpmn:scriptTask>"""
    text = body(task).replace("layak == True", "().__class__")
    problems, _ = lint(project, text)
    assert any(e == "periksa" and "import tidak diizinkan" in m for e, m in problems), problems
    assert any(e == "f_ya" and "kondisi ditolak sandbox" in m for e, m in problems), problems


def test_a_message_payload_the_sandbox_refuses_is_reported_on_its_send_task(project):
    task = """<bpmn:sendTask id="periksa" name="Kirim" messageRef="pesan"><bpmn:extensionElements>
      <spiffworkflow:messagePayload>().__class__</spiffworkflow:messagePayload></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:sendTask>"""
    problems, _ = lint(project, body(task))
    assert any(e == "periksa" and "messagePayload ditolak sandbox" in m for e, m in problems), problems


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("isi = open('/etc/passwd').read()", "open() tidak diizinkan"),
        ("g = getattr(hitung, '__globals__')", "getattr() tidak diizinkan"),
        ("nama = '{0.__class__}'.format(1)", "format() pada teks tidak diizinkan"),
        ("nama = 'x'.format_map({})", "format_map() pada teks tidak diizinkan"),
        ("hasil = eval('1 + 1')", "eval() tidak diizinkan"),
    ],
)
def test_lint_refuses_what_the_sandbox_would_refuse_at_run_time_naming_the_element(project, script, reason):
    """Before: these passed lint and only failed when an instance reached the task."""
    task = f"""<bpmn:scriptTask id="periksa" name="Hitung"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"""
    problems, report = lint(project, body(task))
    assert not report.ok
    assert any(e == "periksa" and m.startswith("script ditolak sandbox: baris 1: ") and reason in m
               for e, m in problems), problems


def test_elements_without_a_diagram_shape_are_reported(project):
    problems, _ = lint(project, body(), omit_shapes=("periksa", "f2"))
    assert ("periksa", "userTask tanpa bentuk diagram: berkas tidak akan tampil utuh di modeler") in problems
    assert ("f2", "sequenceFlow tanpa bentuk diagram: berkas tidak akan tampil utuh di modeler") in problems


def test_an_exclusive_gateway_with_conditions_but_no_default_is_reported(project):
    problems, _ = lint(project, body(gateway_default=False))
    assert problems == [
        ("gw_layak", "gateway eksklusif dengan kondisi tanpa alur default: "
                     "bila semua kondisi salah, kasus berhenti dengan kesalahan")
    ]


@pytest.fixture
def no_database(monkeypatch, tmp_path):
    """A fresh clone: the configured SQLite file does not exist."""
    missing = tmp_path / "belum_ada" / "alur.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    yield
    assert not missing.exists()  # linting never creates the database


def test_the_command_prints_file_line_and_element_and_exits_1(project, no_database):
    lint(project, body(gateway_default=False))
    result = CliRunner().invoke(cli, ["lint", str(project.processes)])
    assert result.exit_code == 1
    assert "uji.bpmn:" in result.stdout and "[gw_layak]" in result.stdout
    assert result.stdout.strip().endswith("1 berkas diperiksa, 1 masalah.")


def test_the_command_exits_0_when_clean(project, no_database):
    lint(project, body())
    result = CliRunner().invoke(cli, ["lint", str(project.processes)])
    assert (result.exit_code, result.stdout.strip()) == (0, "1 berkas diperiksa, tidak ada masalah.")


def test_given_no_database_then_lanes_are_matched_with_the_seed_and_declared_roles_and_that_is_said(
        project, no_database):
    """Never a silent skip: the role source is named, and each lane that would be a new role is listed."""
    lint(project, body(), lanes={"Bukan Peran Siapa Pun": ["mulai", "periksa", "gw_layak", "selesai"]})
    result = CliRunner().invoke(cli, ["lint", str(project.processes)])
    assert result.exit_code == 0
    first, new_role = result.stderr.strip().splitlines()
    assert first.startswith("belum ada basis data: lane dicocokkan dengan ")
    assert first.endswith(" peran data seed (api/seed_data.json) ditambah lane yang dideklarasikan diagram")
    assert new_role == (f"peran baru dari diagram {project.processes / 'uji.bpmn'}: 'Bukan Peran Siapa Pun' "
                        "(dibuat saat deploy dengan --create-roles)")


@pytest.mark.parametrize(("props", "expected"), [
    ({"uniqueStart": "wilayah,tahun", "uniqueStartWhile": "open"}, []),
    ({"uniqueStart": "wilayah,tahun", "uniqueStartWhile": "berjalan"},
     ["uniqueStartWhile 'berjalan' tidak dikenal: isi 'open' atau hapus"]),
    ({"uniqueStartWhile": "open"}, ["uniqueStartWhile tanpa uniqueStart: tidak ada isian yang ditahan"]),
])
def test_given_a_unique_start_held_while_open_then_lint_refuses_an_unknown_value_or_one_without_fields(
        project, props, expected):
    text = body().replace('<bpmn:startEvent id="mulai">', f'<bpmn:startEvent id="mulai">{form_props(**props)}')
    problems, _ = lint(project, text)
    assert [message for element, message in problems if element == "mulai"] == expected
