"""What the task and start forms accept from a browser: numbers, dates, and which fields are marked required."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

import pytest

from api.db import db
from api.models import Instance, PendingTask
from api.services.versions import runtime
from api.web.formkit import fields_of
from engine.forms import parse_form
from tests.web.conftest import login, post
from tests.web.proposal import USULAN
from tests.web.test_pages import _answer_first_response, start_proposal, submit_complaint


def count_instances(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar_one()


def stored_data(app) -> dict:
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        return runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state).data


def refusal_beside(answer, field: str) -> str:
    """The message shown beside `field` on a form page that came back refused."""
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422, page[:2000]
    found = re.search(rf'<p class="galat-isian" id="galat-{re.escape(field)}">([^<]*)</p>', page)
    assert found, f"no message beside {field}"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("typed", ["NaN", "nan", "Infinity", "-inf"])
def test_given_nan_or_infinity_in_a_number_field_then_the_form_comes_back_with_the_message_beside_it(
        client, app, typed):
    login(client, "ketua_rt")

    answer = start_proposal(client, {**USULAN, "perkiraan_biaya": typed})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="galat-perkiraan_biaya"' in page and f'value="{typed}"' in page
    assert count_instances(app) == 0


# -- numbers: one rule for every number input (processes/README.md, "What a form accepts") --------------


@pytest.mark.parametrize(("typed", "stored"), [("5.000.000", 5_000_000), ("1.500.000,50", 1_500_000.5),
                                               ("150000000", 150_000_000), ("2500,75", 2500.75)])
def test_given_a_cost_written_with_thousands_dots_or_a_decimal_comma_then_it_is_stored_as_that_number(
        client, app, typed, stored):
    login(client, "ketua_rt")

    answer = start_proposal(client, {**USULAN, "perkiraan_biaya": typed})

    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert stored_data(app)["perkiraan_biaya"] == stored


@pytest.mark.parametrize(("field", "typed", "reason"), [
    ("perkiraan_biaya", "1.5", "tulis desimal dengan koma"),
    ("perkiraan_biaya", "12.34", "titik hanya pemisah ribuan"),
    ("perkiraan_biaya", "1e5", "bukan angka"),
    ("penerima_manfaat", "1.5", "titik hanya pemisah ribuan"),
    ("penerima_manfaat", "1,5", "harus bilangan bulat, tanpa pecahan"),
    ("penerima_manfaat", "dua ratus", "bukan bilangan bulat"),
])
def test_given_a_number_the_rule_cannot_read_for_sure_then_the_form_says_the_rule_and_keeps_the_text(
        client, app, field, typed, reason):
    login(client, "ketua_rt")

    answer = start_proposal(client, {**USULAN, field: typed})

    assert reason in refusal_beside(answer, field)
    assert f'value="{typed}"' in answer.get_data(as_text=True)
    assert count_instances(app) == 0


def test_given_a_form_shown_again_then_its_numbers_are_written_by_the_rule_and_submit_unchanged(client, app):
    login(client, "ketua_rt")
    refused = start_proposal(client, {**USULAN, "perkiraan_biaya": "1500000,5", "nik_pengusul": "1234"})
    assert 'value="1.500.000,5"' in refused.get_data(as_text=True)

    answer = start_proposal(client, {**USULAN, "perkiraan_biaya": "1.500.000,5"})

    assert answer.status_code == 302
    assert stored_data(app)["perkiraan_biaya"] == 1_500_000.5


# -- dates within their bounds: the pages run on the real clock ---------------------------------------------


def test_given_the_start_form_then_the_rt_meeting_date_shows_its_bounds_as_a_hint(client):
    login(client, "ketua_rt")

    page = client.get("/mulai/musrenbang").get_data(as_text=True)

    hint = re.search(r'id="i-tanggal_musyawarah_rt"[^>]*><small class="batas">([^<]*)</small>', page)
    assert hint, "no hint beside the RT meeting date"
    assert html.unescape(hint.group(1)).startswith("paling awal 3 bulan yang lalu (")
    assert "paling lambat hari ini (" in html.unescape(hint.group(1))


@pytest.mark.parametrize(("typed", "words"), [
    ("2000-01-01", "tidak boleh sebelum 3 bulan yang lalu"),  # its 6-month deadline long past
    ((date.today() + timedelta(days=2)).isoformat(), "tidak boleh setelah hari ini"),
])
def test_given_an_rt_meeting_date_that_cannot_be_then_the_form_comes_back_and_no_case_escalates(
        client, app, typed, words):
    login(client, "ketua_rt")

    answer = start_proposal(client, {**USULAN, "tanggal_musyawarah_rt": typed})

    assert words in refusal_beside(answer, "tanggal_musyawarah_rt")
    assert f'value="{typed}"' in answer.get_data(as_text=True)
    assert count_instances(app) == 0


# -- which fields are marked required ------------------------------------------------------------------------


def analysis_task(client, app) -> str:
    """A public complaint classified and answered first, waiting for the analysis of its bidang."""
    code = submit_complaint(client)
    team = app.test_client()
    login(team, "tim_pengaduan")
    _answer_first_response(team, app, code)
    with app.app_context():
        return db.session.execute(db.select(PendingTask.id).filter_by(name="analisis")).scalar_one()


def test_given_a_list_required_only_for_cross_opd_handling_then_its_legend_is_marked_with_the_condition(client, app):
    tid = analysis_task(client, app)
    analyst = app.test_client()
    login(analyst, "analis_sosbud")

    page = analyst.get(f"/tugas/{tid}").get_data(as_text=True)

    legend = re.search(r'data-array="opd_terkait"><legend>(.*?)</legend>', page, re.S).group(1)
    assert legend.startswith("OPD yang perlu dilibatkan") and 'class="wajib"' in legend
    assert "wajib bila Penanganan = Perlu koordinasi lintas OPD (respon akhir 5 hari kerja)" in legend
    choice = re.search(r'id="isian-penanganan".*?<legend>(.*?)</legend>', page, re.S).group(1)
    assert 'class="wajib"' in choice  # an always-required choice keeps its plain mark
    refused = post(analyst, f"/tugas/{tid}", [("penanganan", "lintas_opd"), ("pejabat_analis", "Dra. Sri Lestari"),
                                              ("hasil_analisis", "Perlu jawaban Dinas PMD tentang RW 03.")])
    assert refusal_beside(refused, "opd_terkait") == "OPD yang perlu dilibatkan wajib diisi"


def test_given_a_column_of_a_list_required_under_a_condition_of_its_row_then_it_says_so_too():
    rows = {"type": "object", "properties": {
        "hadir": {"type": "boolean", "title": "Hadir"}, "alasan": {"type": "string", "title": "Alasan"}},
        "if": {"properties": {"hadir": {"const": False}}}, "then": {"required": ["alasan"]}}
    form = parse_form("uji/peserta.schema.json", json.dumps(
        {"type": "object", "properties": {"peserta": {"type": "array", "title": "Peserta", "items": rows}}}))

    [listed] = fields_of(form)

    assert [(sub.title, sub.required_when) for sub in listed.subfields] == [
        ("Hadir", ""), ("Alasan", "wajib bila Hadir tidak dicentang")]
