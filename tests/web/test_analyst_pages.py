"""The analysts' pages: versions with who deployed them and the lint of their stored files, the upload,
the readable diff with the migration dry run, and moving instances from the page."""

from __future__ import annotations

import io
import re

import pytest

from api.db import db
from api.models import ORIGIN_CLI, AuditEvent, Instance, PendingTask
from api.services.versions import runtime
from api.web import analyst as analyst_pages
from tests.web.conftest import ROOT, csrf, login, post
from tests.web.proposal import TERIMA_RW, USULAN
from tests.web.test_pages import as_form, start_proposal

MUSRENBANG = (ROOT / "processes" / "musrenbang.bpmn").read_text(encoding="utf-8")
VERIFIKASI_RW_FORM = (ROOT / "forms" / "musrenbang" / "verifikasi_rw.schema.json").read_text(encoding="utf-8")
# The analyst's edit: the RW step is renamed (fine for a step already done) and its post-script
# records one more value (not fine for a step already done: it would have computed something else).
EDITED = MUSRENBANG.replace('name="Bahas usulan di musyawarah RW"', 'name="Bahas usulan di rapat RW"').replace(
    'entri = {"tingkat": "rw", "keputusan": keputusan_rw, "waktu": now()}',
    'entri = {"tingkat": "rw", "keputusan": keputusan_rw, "waktu": now(), "sumber": "rapat"}',
)
UNKNOWN_LANE = MUSRENBANG.replace('name="Ketua RW"', 'name="Ketua Rukun Warga"')


@pytest.fixture(autouse=True)
def _edits_apply() -> None:
    """The edits above are text replacements on the real diagram: fail clearly if the diagram moved on."""
    assert EDITED.count('"sumber": "rapat"') == 1 and "Bahas usulan di rapat RW" in EDITED
    assert "Ketua Rukun Warga" in UNKNOWN_LANE


def upload(client, files: dict[str, str], **fields):
    """The upload form as a browser sends it: multipart, several files in `berkas`, the session's CSRF token."""
    token = csrf(client, "/analis/unggah")
    data = {"berkas": [(io.BytesIO(text.encode()), name) for name, text in files.items()],
            "csrf_token": token, **fields}
    return client.post("/analis/unggah", data=data, content_type="multipart/form-data")


def version_row(page: str, number: int, process_id: str = "musrenbang") -> str:
    section = re.search(rf'<section class="kartu proses" id="proses-{process_id}">(.*?)</section>', page, re.S).group(1)
    return re.search(rf'<tr data-version="{number}">(.*?)</tr>', section, re.S).group(1)


@pytest.fixture
def analyst(client):
    login(client, "analis_proses")
    return client


# -- who sees the analyst page ----------------------------------------------------------------


def test_given_the_process_analyst_when_signing_in_then_the_analyst_page_opens_with_its_menu_link(client):
    token = csrf(client)
    answer = client.post("/masuk", data={"username": "analis_proses", "password": "alur-demo", "csrf_token": token})
    assert answer.location == "/analis"
    page = client.get("/analis").get_data(as_text=True)
    assert 'id="menu-proses"' in page and "Proses dan versinya" in page
    assert "Kotak tugas" not in page  # the analyst role is not a lane: no inbox to offer


def test_given_instances_when_an_analyst_opens_the_page_then_counts_show_without_a_link_to_the_instances(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    analyst = app.test_client()
    login(analyst, "analis_proses")
    page = analyst.get("/analis").get_data(as_text=True)
    cell = re.search(r'data-col="instance">(.*?)</td>', version_row(page, 1), re.S).group(1)
    assert cell.strip() == "1: berjalan 1"
    assert analyst.get("/admin/instance").status_code == 403  # the instances themselves stay the admins'
    viewer = app.test_client()
    login(viewer, "pemantau")
    assert "/admin/instance?proses=musrenbang" in viewer.get("/analis").get_data(as_text=True)


def test_an_analyst_gets_no_instance_data_from_the_recap(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    analyst, admin = app.test_client(), app.test_client()
    login(analyst, "analis_proses")
    login(admin, "admin")
    recap = "/rekap.csv?proses=musrenbang&langkah=verifikasi_rw"

    assert USULAN["judul"] in admin.get(recap).get_data(as_text=True)
    assert USULAN["judul"] not in analyst.get(recap).get_data(as_text=True)
    assert 'href="/rekap"' not in analyst.get("/analis").get_data(as_text=True)


def test_given_an_uploaded_version_then_its_row_shows_who_deployed_it_the_note_and_the_origin(analyst):
    upload(analyst, {"musrenbang.bpmn": EDITED}, catatan="rapat RW menggantikan musyawarah")

    row = version_row(analyst.get("/analis").get_data(as_text=True), 2)

    assert 'data-col="oleh">analis_proses<' in row and 'data-col="asal">unggahan<' in row
    assert "rapat RW menggantikan musyawarah" in row and "berlaku" in row


def test_given_a_stored_version_with_a_problem_then_the_page_lints_the_stored_files_not_the_disk(analyst, app):
    broken = MUSRENBANG.replace("entri = {", "import os\nentri = {", 1)
    with app.app_context():  # a version stored before the lint existed, by a path that skips it
        sources = {**runtime().current("musrenbang").version.sources, "bpmn/musrenbang.bpmn": broken}
        runtime().register(runtime().build("musrenbang", sources), deployed_by="lama", origin=ORIGIN_CLI)
        db.session.commit()

    page = analyst.get("/analis").get_data(as_text=True)

    stored = re.search(r'data-col="lint">(.*?)</td>', version_row(page, 2), re.S).group(1)
    assert "1 masalah" in stored and "musrenbang.bpmn:" in stored and "[verifikasi_rw]" in stored
    assert "tidak ada masalah" in version_row(page, 1)  # the same file on disk is clean


# -- upload -------------------------------------------------------------------------------------


def test_given_a_changed_diagram_when_uploaded_then_the_new_version_number_is_shown(analyst, app):
    answer = upload(analyst, {"musrenbang.bpmn": EDITED}, catatan="uji unggah")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 201, page[:3000]
    assert 'data-hasil="dipasang"' in page and '<span class="versi-baru">v2</span>' in page
    with app.app_context():
        assert runtime().current("musrenbang").number == 2


def test_given_identical_content_when_uploaded_then_the_page_says_nothing_changed(analyst, app):
    answer = upload(analyst, {"musrenbang.bpmn": MUSRENBANG})

    assert answer.status_code == 200 and 'data-hasil="sama"' in answer.get_data(as_text=True)
    assert "Tidak ada perubahan" in answer.get_data(as_text=True)
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_given_a_lint_problem_when_uploaded_then_the_report_names_file_line_element_and_nothing_is_stored(
        analyst, app):
    answer = upload(analyst, {"musrenbang.bpmn": UNKNOWN_LANE})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'data-hasil="ditolak"' in page
    row = re.search(r'<table class="tabel" id="laporan-lint">.*?<tbody><tr>(.*?)</tr>', page, re.S).group(1)
    assert re.search(r"<code>musrenbang\.bpmn:\d+</code>", row)
    assert "<code>lane_ketua_rw</code>" in row and "lajur &#39;Ketua Rukun Warga&#39; bukan peran" in row
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_given_a_form_no_diagram_names_when_uploaded_then_it_is_reported_not_ignored(analyst, app):
    answer = upload(analyst, {"forms/musrenbang/verifikasi_rt.schema.json": VERIFIKASI_RW_FORM})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "forms/musrenbang/verifikasi_rt.schema.json tidak dirujuk diagram mana pun" in page
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_given_a_bare_form_file_name_when_uploaded_then_it_is_placed_where_the_diagram_names_it(analyst, app):
    edited = VERIFIKASI_RW_FORM.replace('"type": "object"', '"type": "object", "description": "diperbarui"', 1)
    assert edited != VERIFIKASI_RW_FORM

    answer = upload(analyst, {"verifikasi_rw.schema.json": edited}, catatan="formulir saja")

    assert answer.status_code == 201, answer.get_data(as_text=True)[:3000]
    with app.app_context():
        current = runtime().current("musrenbang")
        assert current.number == 2
        assert current.version.sources["forms/musrenbang/verifikasi_rw.schema.json"] == edited


def test_given_an_upload_without_the_csrf_token_then_it_is_refused(analyst, app):
    answer = analyst.post("/analis/unggah", data={"berkas": [(io.BytesIO(EDITED.encode()), "musrenbang.bpmn")]},
                          content_type="multipart/form-data")

    assert answer.status_code == 400
    with app.app_context():
        assert runtime().current("musrenbang").number == 1


def test_given_a_report_viewer_then_the_upload_page_is_refused(client):
    login(client, "pemantau")
    assert client.get("/analis/unggah").status_code == 403


# -- diff and migration -------------------------------------------------------------------------


@pytest.fixture
def two_versions(client, app):
    """Two proposals on v1, one still at the RW step and one past it; then the edited v2 is deployed."""
    login(client, "ketua_rt")
    start_proposal(client)
    start_proposal(client, {**USULAN, "judul": "Usulan yang sudah lewat RW"})
    rw = app.test_client()
    login(rw, "ketua_rw")
    with app.app_context():
        first, second = db.session.execute(db.select(Instance.id).order_by(Instance.id)).scalars().all()
        past = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=second)).scalar_one()
    assert post(rw, f"/tugas/{past}", as_form(TERIMA_RW)).status_code == 302
    analyst = app.test_client()
    login(analyst, "analis_proses")
    assert upload(analyst, {"musrenbang.bpmn": EDITED}).status_code == 201
    return analyst, first, second


def test_the_diff_page_names_the_changed_step_and_its_script(two_versions):
    analyst, _first, _second = two_versions

    page = analyst.get("/analis/musrenbang/beda?dari=1&ke=2").get_data(as_text=True)

    changed = re.search(r'<div class="ubah" data-element="verifikasi_rw">(.*?)</table>', page, re.S).group(1)
    assert "Bahas usulan di musyawarah RW" in changed and "Bahas usulan di rapat RW" in changed
    assert 'data-change="post_script"' in changed
    removed = re.findall(r'<span class="b-hapus">(.*?)</span>', changed)
    added = re.findall(r'<span class="b-tambah">(.*?)</span>', changed)
    assert len(removed) == len(added) == 1  # only the changed line is marked, not the whole script
    assert removed[0].startswith("-entri = {") and added[0].endswith("&#34;sumber&#34;: &#34;rapat&#34;}")
    assert "Tidak ada alur yang berubah" in page


def test_the_diff_page_counts_movable_and_refused_instances_with_the_reason(two_versions):
    analyst, _first, _second = two_versions

    page = analyst.get("/analis/musrenbang/beda").get_data(as_text=True)  # defaults: the previous and the current

    summary = re.search(r'<p id="ringkasan-pindah">(.*?)</p>', page, re.S).group(1)
    assert re.search(r'data-col="dapat">1<', summary) and re.search(r'data-col="ditolak">1<', summary)
    assert "langkah yang sudah dikerjakan &#39;Bahas usulan di musyawarah RW&#39; berubah di versi tujuan" in page
    assert 'action="/analis/musrenbang/pindahkan"' in page and 'name="konfirmasi"' in page


def test_given_confirmation_when_migrating_from_the_page_then_movable_instances_move_and_others_stay(two_versions,
                                                                                                     app):
    analyst, first, second = two_versions
    diff = "/analis/musrenbang/beda?dari=1&ke=2"

    unconfirmed = post(analyst, "/analis/musrenbang/pindahkan", {"dari": "1", "ke": "2"}, token_page=diff,
                       follow_redirects=True)
    assert "Centang konfirmasi" in unconfirmed.get_data(as_text=True)
    moved = post(analyst, "/analis/musrenbang/pindahkan", {"dari": "1", "ke": "2", "konfirmasi": "1"},
                 token_page=diff, follow_redirects=True)

    assert "1 kasus dipindahkan dari v1 ke v2; 1 tidak dipindahkan" in moved.get_data(as_text=True)
    with app.app_context():
        v2 = runtime().by_number("musrenbang", 2).row_id
        assert db.session.get(Instance, first).version_id == v2
        assert db.session.get(Instance, second).version_id != v2
        assert db.session.execute(db.select(PendingTask.title).filter_by(instance_id=first)).scalar_one() == (
            "Bahas usulan di rapat RW")
        assert db.session.execute(db.select(AuditEvent.actor).filter_by(kind="migrated")).scalar_one() == (
            "analis_proses")
    admin = app.test_client()
    login(admin, "admin")
    assert "dipindahkan ke versi lain" in admin.get(f"/admin/instance/{first}").get_data(as_text=True)


def test_a_report_viewer_sees_the_diff_but_neither_the_dry_run_nor_the_migrate_action(two_versions, app):
    viewer = app.test_client()
    login(viewer, "pemantau")

    page = viewer.get("/analis/musrenbang/beda?dari=1&ke=2").get_data(as_text=True)

    assert "Bahas usulan di rapat RW" in page and "hanya untuk analis proses dan admin" in page
    assert 'name="konfirmasi"' not in page
    refused = post(viewer, "/analis/musrenbang/pindahkan", {"dari": "1", "ke": "2", "konfirmasi": "1"},
                   token_page="/analis")
    assert refused.status_code == 403


# Not a number is bad input (422); a number that names no version is a missing resource (404), one or both.
@pytest.mark.parametrize(("query", "status"), [("dari=x&ke=2", 422), ("dari=1&ke=9", 404), ("dari=8&ke=9", 404)])
def test_the_diff_page_refuses_unknown_version_numbers(two_versions, query, status):
    analyst, _first, _second = two_versions
    assert analyst.get(f"/analis/musrenbang/beda?{query}").status_code == status


def test_the_diff_of_an_unknown_process_is_not_found(analyst):
    assert analyst.get("/analis/tidak_ada/beda").status_code == 404


def test_given_the_page_time_budget_is_spent_then_the_page_says_what_is_left_and_sending_again_continues(
        two_versions, app, monkeypatch):
    analyst, first, _second = two_versions
    diff = "/analis/musrenbang/beda?dari=1&ke=2"
    monkeypatch.setattr(analyst_pages, "PAGE_BUDGET_SECONDS", -1.0)  # spent before the first instance

    page = analyst.get(diff).get_data(as_text=True)
    stopped = post(analyst, "/analis/musrenbang/pindahkan", {"dari": "1", "ke": "2", "konfirmasi": "1"},
                   token_page=diff, follow_redirects=True).get_data(as_text=True)

    assert "0 pertama diperiksa" in page and "alur migrate musrenbang --from 1 --to 2 --dry-run" in page
    assert "0 kasus dipindahkan" in stopped and "2 belum diproses: kirim lagi untuk melanjutkan" in stopped
    monkeypatch.setattr(analyst_pages, "PAGE_BUDGET_SECONDS", 20.0)
    again = post(analyst, "/analis/musrenbang/pindahkan", {"dari": "1", "ke": "2", "konfirmasi": "1"},
                 token_page=diff, follow_redirects=True).get_data(as_text=True)
    assert "1 kasus dipindahkan" in again and "belum diproses" not in again
    with app.app_context():
        assert db.session.get(Instance, first).version_id == runtime().by_number("musrenbang", 2).row_id
