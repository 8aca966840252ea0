"""What the task and start forms accept from a browser: numbers, dates, and which fields are marked required."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from api.db import db
from api.models import Instance
from api.services.versions import runtime
from tests.web.conftest import login
from tests.web.proposal import USULAN
from tests.web.test_pages import start_proposal


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
