"""What the analysts' modeler asks of the server: its pages, the roles for lanes, the live lint of a draft,
the form preview, and saving through the deploy gate (lint, dry run of the running instances, confirm)."""

from __future__ import annotations

import json
import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from api.db import db
from api.models import Instance, ProcessVersionRow, Role
from api.services.versions import runtime
from tests.web.conftest import ROOT, login, post
from tests.web.test_analyst_pages import EDITED, MUSRENBANG, UNKNOWN_LANE
from tests.web.test_pages import start_proposal

VERIFIKASI_RW = "musrenbang/verifikasi_rw.schema.json"
IMPORTING = MUSRENBANG.replace("entri = {", "import os\nentri = {", 1)
EMPTY_NEW = (ROOT / "api" / "web" / "templates" / "modeler_empty.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def analyst(client):
    login(client, "analis_proses")
    return client


def send(client, path: str, **fields):
    """A modeler request as the page sends it: form fields with the session's CSRF token, JSON back."""
    if "formulir" in fields and not isinstance(fields["formulir"], str):
        fields["formulir"] = json.dumps(fields["formulir"])
    return post(client, path, fields, token_page="/analis/musrenbang/ubah")


def page_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="data-modeler">(.*?)</script>', page, re.S)
                      .group(1).replace("<\\/", "</"))


# -- pages and who may open them ----------------------------------------------------------------


def test_the_modeler_page_carries_the_current_version_its_file_and_its_forms(analyst):
    answer = analyst.get("/analis/musrenbang/ubah")

    assert answer.status_code == 200
    data = page_data(answer.get_data(as_text=True))
    assert data["file"] == "musrenbang.bpmn" and data["number"] == 1 and data["folder"] == "musrenbang"
    assert data["xml_url"] == "/analis/musrenbang/v1/diagram.xml"
    assert json.loads(data["forms"][VERIFIKASI_RW])["title"] == "Verifikasi usulan di musyawarah RW"
    assert 'href="/analis/musrenbang/ubah"' in analyst.get("/analis").get_data(as_text=True)


def test_a_new_procedure_opens_an_empty_executable_diagram_with_one_lane(analyst):
    data = page_data(analyst.get("/analis/baru").get_data(as_text=True))

    assert data["file"] is None and data["xml_url"] is None and data["forms"] == {}
    assert 'isExecutable="true"' in data["empty_xml"] and "<bpmn:lane " in data["empty_xml"]


@pytest.mark.parametrize("path", ["/analis/musrenbang/ubah", "/analis/baru", "/analis/modeler/peran"])
def test_staff_and_monitors_cannot_open_the_modeler(client, app, path):
    login(client, "ketua_rt")
    viewer = app.test_client()
    login(viewer, "pemantau")

    assert client.get(path).status_code == 403
    assert viewer.get(path).status_code == 403


def test_an_unknown_process_has_no_modeler_page(analyst):
    assert analyst.get("/analis/tidak_ada/ubah").status_code == 404


def test_lanes_pick_from_the_roles_the_system_knows(analyst):
    roles = analyst.get("/analis/modeler/peran").get_json()["roles"]

    assert {"Ketua RT", "Ketua RW", "Kepala Desa", "Tim Pengaduan"} <= set(roles)
    assert roles == sorted(roles)


# -- live lint and the form preview -----------------------------------------------------------------


def test_the_unedited_diagram_lints_clean(analyst):
    answer = send(analyst, "/analis/modeler/lint", berkas="musrenbang.bpmn", xml=MUSRENBANG)

    assert answer.status_code == 200 and answer.get_json() == {"problems": []}


def test_a_script_the_sandbox_refuses_is_reported_on_its_element_in_indonesian(analyst):
    problems = send(analyst, "/analis/modeler/lint", berkas="musrenbang.bpmn", xml=IMPORTING).get_json()["problems"]

    assert [(p["element"], p["file"]) for p in problems] == [("verifikasi_rw", "musrenbang.bpmn")]
    assert "ditolak sandbox" in problems[0]["message"] and "import tidak diizinkan" in problems[0]["message"]
    assert problems[0]["line"] > 100


def test_a_lane_naming_no_known_role_is_reported_on_the_lane(analyst):
    problems = send(analyst, "/analis/modeler/lint", berkas="musrenbang.bpmn", xml=UNKNOWN_LANE).get_json()["problems"]

    assert [p["element"] for p in problems] == ["lane_ketua_rw"]
    assert "bukan peran yang dikenal sistem" in problems[0]["message"]


def test_a_form_edited_in_the_browser_is_linted_instead_of_the_stored_one(analyst):
    answer = send(analyst, "/analis/modeler/lint", berkas="musrenbang.bpmn", xml=MUSRENBANG,
                  formulir={VERIFIKASI_RW: '{"type": "object", "properties": {"x": {"type": "angka"}}}'})

    problems = answer.get_json()["problems"]
    assert [p["element"] for p in problems] == ["verifikasi_rw"]
    assert "verifikasi_rw.schema.json" in problems[0]["message"]


def test_the_form_preview_renders_the_fields_as_staff_see_them(analyst):
    schema = (ROOT / "forms" / VERIFIKASI_RW).read_text(encoding="utf-8")
    ui = (ROOT / "forms" / "musrenbang" / "verifikasi_rw.uischema.json").read_text(encoding="utf-8")

    body = send(analyst, "/analis/modeler/pratinjau", skema=schema, ui=ui, berkas=VERIFIKASI_RW).get_json()

    assert body["ok"] is True
    assert 'name="keputusan_rw"' in body["html"] and "Keputusan musyawarah RW" in body["html"]
    assert 'value="terima"' in body["html"]  # the choices, as radio buttons or options


def test_a_broken_schema_previews_as_the_reason_not_a_crash(analyst):
    body = send(analyst, "/analis/modeler/pratinjau", skema="{ bukan json", berkas="x.schema.json").get_json()

    assert body["ok"] is False and "kotak galat" in body["html"] and "x.schema.json" in body["html"]


def test_a_draft_without_a_valid_file_name_is_refused_naming_the_field(analyst):
    answer = send(analyst, "/analis/modeler/lint", berkas="../musrenbang.bpmn", xml=MUSRENBANG)

    assert answer.status_code == 422 and answer.get_json()["message"].startswith("berkas:")


# -- saving through the deploy gate ------------------------------------------------------------------


def test_a_draft_the_lint_refuses_is_reported_and_nothing_is_stored(analyst, app):
    answer = send(analyst, "/analis/modeler/periksa", berkas="musrenbang.bpmn", proses="musrenbang", xml=IMPORTING)

    body = answer.get_json()
    assert answer.status_code == 422 and body["ok"] is False
    assert "pemasangan ditolak" in body["message"] and body["problems"][0]["element"] == "verifikasi_rw"
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_the_check_lists_what_changed_and_the_plan_for_the_running_instances_and_stores_nothing(analyst, app):
    staff = app.test_client()
    login(staff, "ketua_rt")
    start_proposal(staff)

    body = send(analyst, "/analis/modeler/periksa", berkas="musrenbang.bpmn", proses="musrenbang", xml=EDITED).get_json()

    assert body["ok"] and body["changed"] and body["versions"][0]["outcome"] == "would_create"
    assert body["message"] == "musrenbang: versi baru akan dibuat (sebelumnya v1)"  # a check stores nothing
    plan = body["plan"]
    assert [(c["id"], c["change"], c["fields"]) for c in plan["changes"]] == [
        ("verifikasi_rw", "diubah", ["name", "post_script"])]
    assert plan["open"] == 1 and plan["movable"] == 1 and plan["results"][0]["outcome"] == "can_migrate"
    with app.app_context():
        assert runtime().current("musrenbang").number == 1
        assert db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)
                                  .filter_by(process_id="musrenbang")).scalar() == 1


def test_given_a_deadline_the_draft_moves_when_checked_then_the_dry_run_reads_both_moments_on_the_offices_clock(
        analyst, app):
    staff = app.test_client()
    login(staff, "ketua_rt")
    start_proposal(staff)
    later = MUSRENBANG.replace(">batas_rkpd</bpmn:timeDate>",
                               ">end_of_office_day(add_working_days(batas_rkpd, 10))</bpmn:timeDate>")

    body = send(analyst, "/analis/modeler/periksa", berkas="musrenbang.bpmn", proses="musrenbang", xml=later).get_json()

    [result] = body["plan"]["results"]
    assert body["plan"]["timers"] == 1 and result["outcome"] == "can_migrate"
    [note] = result["notes"]
    found = re.fullmatch(r"penanda waktu '6 bulan sejak usulan RT' dihitung ulang: "
                         r"(\d{1,2}) (\w{3}) (\d{4}) 16:00 WIB -> (\d{1,2}) (\w{3}) (\d{4}) 16:00 WIB", note)
    assert found, note  # the end of the office day in Karanganyar, as every page writes a moment
    with app.app_context():
        due = db.session.execute(db.select(Instance.next_timer_at)).scalar_one().astimezone(ZoneInfo("Asia/Jakarta"))
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    assert found.group(1, 2, 3) == (str(due.day), months[due.month - 1], str(due.year)) and due.hour == 16
    later_due = date(int(found.group(6)), months.index(found.group(5)) + 1, int(found.group(4)))
    assert later_due > due.date()  # ten working days on


def test_the_deploy_needs_the_confirmation(analyst, app):
    answer = send(analyst, "/analis/modeler/pasang", berkas="musrenbang.bpmn", proses="musrenbang", xml=EDITED)

    assert answer.status_code == 422 and answer.get_json()["message"].startswith("konfirmasi:")
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_a_confirmed_deploy_makes_the_next_version_and_moves_running_instances_only_when_asked(analyst, app):
    staff = app.test_client()
    login(staff, "ketua_rt")
    start_proposal(staff)
    start_proposal(staff)

    kept = send(analyst, "/analis/modeler/pasang", berkas="musrenbang.bpmn", proses="musrenbang", xml=EDITED,
                konfirmasi="1", catatan="rapat RW")
    assert kept.status_code == 201 and kept.get_json()["migration"] is None
    with app.app_context():
        assert runtime().current("musrenbang").number == 2
        assert {runtime().by_row(i.version_id).number for i in db.session.execute(db.select(Instance)).scalars()} == {1}

    again = EDITED.replace("Bahas usulan di rapat RW", "Bahas usulan di rapat warga RW")
    moved = send(analyst, "/analis/modeler/pasang", berkas="musrenbang.bpmn", proses="musrenbang", xml=again,
                 konfirmasi="1", pindahkan="1")
    body = moved.get_json()
    assert moved.status_code == 201 and body["versions"][0]["number"] == 3
    assert body["migration"] == {"moved": 2, "refused": 0, "timers": 0, "left": 0}
    assert body["versions"][0]["diff_url"] == "/analis/musrenbang/beda?dari=2&ke=3"
    with app.app_context():
        assert {runtime().by_row(i.version_id).number for i in db.session.execute(db.select(Instance)).scalars()} == {3}
        row = db.session.execute(db.select(ProcessVersionRow).filter_by(process_id="musrenbang", number=2)).scalar_one()
        assert row.note == "rapat RW" and row.deployed_by == "analis_proses"


def test_a_new_procedure_may_not_take_the_file_of_another(analyst, app):
    answer = send(analyst, "/analis/modeler/periksa", berkas="musrenbang.bpmn", proses="", xml=EMPTY_NEW)

    assert answer.status_code == 422 and "sudah dipakai proses musrenbang" in answer.get_json()["message"]


def test_a_new_procedure_is_refused_until_its_lane_names_a_role_then_deploys_as_version_1(analyst, app):
    refused = send(analyst, "/analis/modeler/periksa", berkas="izin_keramaian.bpmn", xml=EMPTY_NEW).get_json()
    assert not refused["ok"] and [p["element"] for p in refused["problems"]] == ["lane_pemohon"]

    named = EMPTY_NEW.replace('name=""', 'name="Ketua RT"').replace("proses_baru", "izin_keramaian")
    checked = send(analyst, "/analis/modeler/periksa", berkas="izin_keramaian.bpmn", xml=named).get_json()
    assert checked["ok"] and checked["plan"]["open"] == 0 and checked["plan"]["changes"] is None
    deployed = send(analyst, "/analis/modeler/pasang", berkas="izin_keramaian.bpmn", xml=named, konfirmasi="1")

    assert deployed.status_code == 201
    with app.app_context():
        assert runtime().current("izin_keramaian").number == 1


def test_a_lane_naming_a_new_role_deploys_from_the_modeler_when_told_to_create_it(analyst, app):
    assert 'id="i-buat-peran"' in analyst.get("/analis/baru").get_data(as_text=True)
    draft = EMPTY_NEW.replace('name=""', 'name="Peran Baru QA"').replace("proses_baru", "izin_keramaian")

    refused = send(analyst, "/analis/modeler/periksa", berkas="izin_keramaian.bpmn", xml=draft).get_json()
    assert not refused["ok"] and "peran yang belum ada: Peran Baru QA" in refused["message"]
    assert "buat peran yang belum ada" in refused["message"]  # the page's own checkbox, named as it reads

    checked = send(analyst, "/analis/modeler/periksa", berkas="izin_keramaian.bpmn", xml=draft, buat_peran="1")
    assert checked.get_json()["ok"] and "peran baru: Peran Baru QA" in checked.get_json()["message"]
    deployed = send(analyst, "/analis/modeler/pasang", berkas="izin_keramaian.bpmn", xml=draft, konfirmasi="1",
                    buat_peran="1")

    assert deployed.status_code == 201 and "peran baru: Peran Baru QA" in deployed.get_json()["message"]
    with app.app_context():
        assert runtime().current("izin_keramaian").number == 1
        assert db.session.execute(db.select(Role).filter_by(name="Peran Baru QA")).scalar_one_or_none() is not None


def test_spiffworkflows_own_refusal_of_a_gateway_without_default_reads_in_indonesian(analyst):
    no_default = MUSRENBANG.replace(' default="flow_rw_terima"', "", 1)

    problems = send(analyst, "/analis/modeler/lint", berkas="musrenbang.bpmn", xml=no_default).get_json()["problems"]

    messages = {p["element"]: p["message"] for p in problems}
    assert "gateway eksklusif dengan kondisi tanpa alur default" in messages["gw_keputusan_rw"]
    assert messages["flow_rw_terima"] == "alur keluar gateway eksklusif tanpa kondisi padahal bukan alur default"


def test_a_draft_sent_with_the_browsers_crlf_line_breaks_is_stored_with_the_files_lf(analyst, app):
    answer = send(analyst, "/analis/modeler/pasang", berkas="musrenbang.bpmn", proses="musrenbang",
                  xml=EDITED.replace("\n", "\r\n"), konfirmasi="1")

    assert answer.status_code == 201
    with app.app_context():
        stored = runtime().current("musrenbang").version.bpmn_source()
    assert "\r" not in stored and stored == EDITED
