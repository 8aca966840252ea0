"""The web pages through Flask's test client: every page renders, access rules, CSRF, forms, exports, reports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict

from api.db import db
from api.models import AuditEvent, Instance, PendingTask, WaitingMessageRow
from api.seed import ensure_user, grant
from api.services import instances
from api.services.instances import Actor, save
from api.services.versions import runtime
from api.web import queries, reports
from api.web.formkit import parse
from engine import FixedClock, now, use_clock
from engine.forms import parse_form
from tests.api.conftest import REPORT, WIB, write_fixture_project
from tests.procedures.test_pengaduan import KLASIFIKASI, PENGADUAN, RESPON_AWAL
from tests.web.conftest import PASSWORD, csrf, fresh_db, login, make_app, post
from tests.web.proposal import TERIMA_RW, USULAN


def as_form(data: dict) -> list[tuple[str, str]]:
    """Typed data -> the inputs a browser sends (lists as name.N, booleans as checkboxes)."""
    out = []
    for key, value in data.items():
        if isinstance(value, list):
            out += [(f"{key}.{i}", str(v)) for i, v in enumerate(value)]
        elif isinstance(value, bool):
            if value:
                out.append((key, "1"))
        else:
            out.append((key, str(value)))
    return out


def start_proposal(client, data: dict | None = None):
    return post(client, "/mulai/musrenbang", as_form(data or USULAN), token_page="/mulai/musrenbang")


def task_id(app, name: str) -> str:
    with app.app_context():
        return db.session.execute(db.select(PendingTask.id).filter_by(name=name)).scalars().one()


PUBLIC = {k: v for k, v in PENGADUAN.items() if k not in ("kode_lacak", "kanal", "diterima_pada", "wilayah")}


def submit_complaint(client, data: dict | None = None) -> str:
    answer = post(client, "/publik/pengaduan", as_form(data or PUBLIC), token_page="/publik/pengaduan")
    assert answer.status_code == 201, answer.get_data(as_text=True)[:2000]
    return re.search(r'id="kode-lacak">([A-Z0-9-]+)<', answer.get_data(as_text=True)).group(1)


# -- pages and access ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/masuk", "/publik", "/publik/pengaduan", "/lacak"])
def test_public_pages_render_without_login(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert 'lang="id"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/tugas", "/mulai", "/rekap", "/laporan", "/admin/instance", "/analis"])
def test_staff_pages_send_strangers_to_login(client, path):
    answer = client.get(path)
    assert answer.status_code == 302 and answer.location.startswith("/masuk?next=")


@pytest.mark.parametrize("path", ["/keputusan/99999999999999999999", "/lacak/", "/publik/", "/mulai/",
                                  "/tidak-ada", "/publik/xyz"])
def test_an_address_no_page_matches_answers_the_html_error_page_not_json(client, path):
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "<h1>Tidak ditemukan</h1>" in answer.get_data(as_text=True)


def test_an_api_address_no_route_matches_still_answers_json(client):
    answer = client.get("/api/v1/tidak-ada", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_the_way_to_the_login_page_is_worded_in_indonesian(client):
    answer = client.get("/tugas/abc")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/masuk?next=")
    assert "Redirecting" not in body and "Dialihkan" in body and 'href="/masuk?next=' in body


def test_login_shows_user_roles_and_regions_and_logout_ends_the_session(client):
    wrong = post(client, "/masuk", {"username": "ketua_rt", "password": "salah"}, token_page="/masuk")
    assert wrong.status_code == 401 and "salah" in wrong.get_data(as_text=True)
    login(client, "ketua_rt")
    page = client.get("/tugas").get_data(as_text=True)
    assert "Ketua RT" in page and "RT 001" in page and "Kotak tugas" in page
    assert post(client, "/keluar", {}).status_code == 302
    assert client.get("/tugas").status_code == 302


def test_login_follows_next_but_never_to_another_site(client):
    token = csrf(client)
    answer = client.post("/masuk", data={"username": "admin", "password": PASSWORD, "csrf_token": token,
                                         "next": "//evil.example/x"})
    assert answer.location == "/admin/instance"  # an admin-only user lands on the instances


@pytest.mark.parametrize("user", ["ketua_rt", "admin", "pemantau", "tim_pengaduan", "analis_proses"])
def test_every_signed_in_page_renders(client, user):
    login(client, user)
    for path in ["/tugas", "/mulai", "/rekap", "/laporan", "/tugas?klaim=saya&terlambat=1&urut=turun"]:
        assert client.get(path).status_code == 200, path
    instances = 200 if user in ("admin", "pemantau") else 403
    assert client.get("/admin/instance").status_code == instances
    processes = 200 if user in ("admin", "pemantau", "analis_proses") else 403
    for path in ["/analis", "/analis/musrenbang/v1", "/analis/musrenbang/beda"]:
        assert client.get(path).status_code == processes, path
    uploads = 200 if user in ("admin", "analis_proses") else 403
    assert client.get("/analis/unggah").status_code == uploads


def test_security_headers_and_cookie_flags(client):
    answer = client.get("/masuk")
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_post_without_the_csrf_token_is_refused(client, app):
    answer = client.post("/masuk", data={"username": "ketua_rt", "password": PASSWORD})
    assert answer.status_code == 400 and "kedaluwarsa" in answer.get_data(as_text=True)
    login(client, "ketua_rt")
    answer = client.post("/mulai/musrenbang", data=MultiDict([*as_form(USULAN), ("csrf_token", "palsu")]))
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar() == 0


def test_the_api_page_loads_swagger_ui_from_the_app_itself_not_a_cdn(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/web/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page and "cdn" not in page
    assert client.get("/web/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


def test_vendor_files_are_served_only_from_the_package(client):
    assert client.get("/web/vendor/bpmn-js/../../package.json").status_code == 404
    assert client.get("/web/vendor/lain/x.js").status_code == 404


# -- start, inbox, task ------------------------------------------------------------------------


def test_given_a_proposer_with_a_nik_from_elsewhere_then_the_start_form_says_and_does_the_same(client, app):
    login(client, "ketua_rt")
    start_page = client.get("/mulai/musrenbang").get_data(as_text=True)

    answer = start_proposal(client, {**USULAN, "nik_pengusul": "3372011203800001"})

    assert "NIK yang tidak diawali 3313 tetap diterima dengan peringatan" in start_page  # the intro
    assert "NIK di luar 3313 diterima dengan peringatan" in start_page  # the NIK field's hint
    assert "harus penduduk" not in start_page
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        data = runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state).data
    assert "3313" in data["peringatan_kependudukan"]


def test_rt_starts_a_proposal_and_the_rw_claims_and_accepts_it(client, app):
    login(client, "ketua_rt")
    start_page = client.get("/mulai/musrenbang").get_data(as_text=True)
    assert 'value="33.13.05.2001/RW02/RT001"' in start_page  # the RT's own region is offered
    answer = start_proposal(client)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    assert "kode lacak ALR-" in client.get("/tugas").get_data(as_text=True)
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        assert instance.title == USULAN["judul"] and instance.region == USULAN["wilayah"]

    client = app.test_client()
    login(client, "ketua_rw")
    inbox = client.get("/tugas").get_data(as_text=True)
    assert "Bahas usulan di musyawarah RW" in inbox and USULAN["judul"] in inbox and "Desa Gantiwarno RW 02 RT 001" in inbox
    tid = task_id(app, "verifikasi_rw")
    assert post(client, f"/tugas/{tid}/ambil", {"next": "/tugas"}).status_code == 302
    assert "diambil Anda" in client.get("/tugas?klaim=saya").get_data(as_text=True)
    assert tid not in client.get("/tugas?klaim=bebas").get_data(as_text=True)
    page = client.get(f"/tugas/{tid}").get_data(as_text=True)
    assert USULAN["permasalahan"] in page and "Riwayat" in page  # the context the RW decides on
    done = post(client, f"/tugas/{tid}", as_form(TERIMA_RW))
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    with app.app_context():
        waits = set(db.session.execute(db.select(WaitingMessageRow.element)).scalars())
    assert "tunggu_musyawarah_desa" in waits  # on to the desa's musyawarah, which decides it with the others


def test_another_rt_cannot_start_in_a_foreign_region_and_sees_the_error_at_the_field(client):
    login(client, "ketua_rt_2")
    answer = start_proposal(client)  # the proposal's region is RT001, this user holds RT002
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="galat-wilayah"' in page and USULAN["judul"] in page


def test_an_invalid_form_shows_every_error_next_to_its_field_and_keeps_the_input(client):
    login(client, "ketua_rt")
    bad = {**USULAN, "nik_pengusul": "1234", "volume": "banyak", "penerima_manfaat": "-5", "judul": "Jalan baru"}
    del bad["opd_tujuan"]
    answer = start_proposal(client, bad)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for field in ("nik_pengusul", "volume", "penerima_manfaat", "opd_tujuan"):
        assert f'id="galat-{field}"' in page, field
    assert "NIK 16 angka" in page
    assert 'value="banyak"' in page and 'value="1234"' in page and "Jalan baru" in page
    assert 'value="BA-RT001-RW02-2026.pdf"' in page  # list items kept too


def test_a_task_completed_meanwhile_says_so_instead_of_the_form(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    rw = app.test_client()
    login(rw, "ketua_rw")
    tid = task_id(app, "verifikasi_rw")
    token = csrf(rw, f"/tugas/{tid}")
    assert post(rw, f"/tugas/{tid}", as_form(TERIMA_RW)).status_code == 302
    again = rw.post(f"/tugas/{tid}", data=MultiDict([*as_form(TERIMA_RW), ("csrf_token", token)]))
    assert again.status_code == 409 and 'id="tugas-selesai"' in again.get_data(as_text=True)
    assert rw.get(f"/tugas/{tid}").status_code == 409


def test_a_task_outside_the_users_lane_is_not_found(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    other = app.test_client()
    login(other, "ketua_rt_2")
    assert other.get(f"/tugas/{task_id(app, 'verifikasi_rw')}").status_code == 404


# -- public ------------------------------------------------------------------------------------


def test_a_public_complaint_gets_a_code_and_tracking_shows_nothing_personal(client, app):
    code = submit_complaint(client)
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        assert instance.started_by_name == "publik"
    page = client.get(f"/lacak?kode={code.lower()}").get_data(as_text=True)
    assert "sedang diproses" in page and "paling lambat" in page
    assert "Laporan Anda sedang dicatat dan dipilah oleh petugas" in page  # the diagram's words for the public
    assert "Catat dan klasifikasikan pengaduan" not in page  # the step's internal name
    for personal in (PENGADUAN["nama_pelapor"], PENGADUAN["email"], PENGADUAN["telepon"]):
        assert personal not in page
    assert client.get("/lacak?kode=ALR-00000-00000").status_code == 404


def test_the_public_form_is_the_website_channel_and_shows_its_errors(client, app):
    page = client.get("/publik/pengaduan").get_data(as_text=True)
    assert 'name="kanal"' not in page and 'name="wilayah"' not in page and 'name="kode_lacak"' not in page
    answer = post(client, "/publik/pengaduan", [("perihal", "ab"), ("isi", "pendek")], token_page="/publik/pengaduan")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="galat-perihal"' in text and 'id="galat-isi"' in text and 'id="galat-nama_pelapor"' in text
    submit_complaint(client)
    with app.app_context():
        from api.services.versions import runtime

        instance = db.session.execute(db.select(Instance)).scalar_one()
        data = runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state).data
    assert data["kanal"] == "website" and data["wilayah"] == "33.13"


def test_a_complaint_over_the_public_limit_is_kept_on_the_form_with_the_wait_in_minutes(client, app):
    app.config.update(ALUR_PUBLIC_LIMIT=1, ALUR_PUBLIC_WINDOW_SECONDS=600)
    submit_complaint(client)
    typed = {**PUBLIC, "isi": "Keluhan kedua yang diketik panjang-panjang dan tidak boleh hilang"}

    answer = post(client, "/publik/pengaduan", as_form(typed), token_page="/publik/pengaduan")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 429 and 1 <= int(answer.headers["Retry-After"]) <= 600
    notice = re.search(r'id="batas-kiriman">([^<]+)<', page).group(1)
    assert "dalam 10 menit terakhir" in notice and re.search(r"coba lagi dalam \d+ menit", notice)
    assert typed["isi"] in page and 'name="perihal"' in page
    assert '<a href="/publik">Kembali ke layanan publik</a>' in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar() == 1


# -- admin and analyst -------------------------------------------------------------------------


def test_admin_lists_filters_and_opens_an_instance_with_its_diagram_markers(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    admin = app.test_client()
    login(admin, "admin")
    listing = admin.get("/admin/instance?proses=musrenbang&status=running").get_data(as_text=True)
    assert USULAN["judul"] in listing
    assert USULAN["judul"] not in admin.get("/admin/instance?status=complete").get_data(as_text=True)
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id)).scalar_one()
    page = admin.get(f"/admin/instance/{instance_id}").get_data(as_text=True)
    assert 'data-markers="{&#34;aktif&#34;: [&#34;verifikasi_rw&#34;]' in page
    assert "usulan_rt" in page  # the completed start event is marked
    assert admin.get("/analis/musrenbang/v1/diagram.xml").data.startswith(b"<?xml")
    assert admin.get("/web/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js").status_code == 200


def test_admin_suspends_resumes_and_cancels_and_the_viewer_may_not(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id)).scalar_one()
    viewer = app.test_client()
    login(viewer, "pemantau")
    assert post(viewer, f"/admin/instance/{instance_id}/tangguhkan", {"alasan": "uji"},
                token_page="/admin/instance").status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    page = f"/admin/instance/{instance_id}"
    short = post(admin, f"{page}/tangguhkan", {"alasan": ""}, token_page=page, follow_redirects=True)
    assert "alasan" in short.get_data(as_text=True)
    post(admin, f"{page}/tangguhkan", {"alasan": "menunggu data"}, token_page=page)
    assert "ditangguhkan" in admin.get(page).get_data(as_text=True)
    post(admin, f"{page}/lanjutkan", {}, token_page=page)
    post(admin, f"{page}/batalkan", {"alasan": "usulan ganda"}, token_page=page)
    with app.app_context():
        assert db.session.get(Instance, instance_id).status == "cancelled"


def test_given_an_admin_acting_on_a_case_then_the_page_speaks_of_kasus_and_status_words(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id)).scalar_one()
    admin = app.test_client()
    login(admin, "admin")
    page = f"/admin/instance/{instance_id}"

    suspended = post(admin, f"{page}/tangguhkan", {"alasan": "menunggu data"}, token_page=page,
                     follow_redirects=True).get_data(as_text=True)
    resumed = post(admin, f"{page}/lanjutkan", {}, token_page=page, follow_redirects=True).get_data(as_text=True)
    cancelled = post(admin, f"{page}/batalkan", {"alasan": "usulan ganda"}, token_page=page,
                     follow_redirects=True).get_data(as_text=True)
    again = post(admin, f"{page}/batalkan", {"alasan": "usulan ganda"}, token_page=page,
                 follow_redirects=True).get_data(as_text=True)
    empty = admin.get("/admin/instance?status=complete").get_data(as_text=True)

    assert "Kasus ditangguhkan." in suspended and "Kasus dilanjutkan." in resumed and "Kasus dibatalkan." in cancelled
    assert "kasus berstatus dibatalkan; tidak dapat dibatalkan" in again
    assert "Tidak ada kasus." in empty
    assert "instance" not in " ".join(re.sub(r"<[^>]*>", " ", t) for t in (suspended, again, empty)).lower()


def test_given_a_reply_waiting_to_be_sent_then_the_case_page_shows_its_status_in_indonesian(client, app):
    code = submit_complaint(client)
    team = app.test_client()
    login(team, "tim_pengaduan")
    _answer_first_response(team, app, code)
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id).filter_by(tracking_code=code)).scalar_one()
    admin = app.test_client()
    login(admin, "admin")

    page = admin.get(f"/admin/instance/{instance_id}").get_data(as_text=True)

    outgoing = re.search(r"<h2>Pesan keluar</h2>(.*?)</ul>", page, re.S).group(1)
    assert "menunggu dikirim" in outgoing and "pending" not in outgoing


def test_analyst_page_lists_versions_lint_and_instances_per_version(client):
    login(client, "ketua_rt")
    start_proposal(client)
    login(client, "pemantau")
    page = client.get("/analis").get_data(as_text=True)
    assert "musrenbang.bpmn" in page and "tidak ada masalah" in page
    assert "Lihat diagram" in page and "berjalan 1" in page
    assert 'data-col="oleh">sistem<' in page and 'data-col="asal">berkas di server<' in page


# -- recap and reports -------------------------------------------------------------------------


def _recap_rows(client, query: str) -> list[list[str]]:
    answer = client.get(f"/rekap.csv?{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_recap_with_chosen_columns_sorted_and_exported_as_csv_and_xlsx(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    start_proposal(client, {**USULAN, "judul": "Perbaikan jalan lingkungan RT 001", "perkiraan_biaya": 90_000_000})
    desa = app.test_client()
    login(desa, "kepala_desa")
    query = "proses=musrenbang&langkah=verifikasi_rw&pilih=1&kolom=perkiraan_biaya&kolom=opd_tujuan&urut=perkiraan_biaya"
    page = desa.get(f"/rekap?{query}").get_data(as_text=True)
    assert "Perkiraan biaya (Rp)" in page and "150.000.000" in page
    # Export and sort links repeat a list parameter per value, so they keep every filter.
    link = re.search(r'href="/rekap.csv\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert sorted(link.split("&")) == sorted(query.split("&"))
    assert "%5B" not in page
    rows = _recap_rows(desa, query)
    assert rows[0][-2:] == ["Perkiraan biaya (Rp)", "OPD tujuan"]
    assert [r[-2] for r in rows[1:]] == ["90000000", "150000000"]
    assert [r[-2] for r in _recap_rows(desa, query + "&arah=turun")[1:]] == ["150000000", "90000000"]
    xlsx = desa.get(f"/rekap.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[1]][-2:] == ["Perkiraan biaya (Rp)", "OPD tujuan"]
    assert [sheet.cell(row=r, column=sheet.max_column - 1).value for r in (2, 3)] == [90_000_000, 150_000_000]
    other = app.test_client()
    login(other, "operator_kec_jaten")  # another kecamatan sees none of them
    assert len(_recap_rows(other, query)) == 1


def test_a_role_of_another_procedure_reads_no_case_of_this_one_in_the_recap(client, app):
    login(client, "ketua_rt")
    start_proposal(client)
    query = "proses=musrenbang&langkah=verifikasi_rw"
    complaints, viewer = app.test_client(), app.test_client()
    login(complaints, "tim_pengaduan")  # a lane of pengaduan, granted over the whole regency
    login(viewer, "pemantau")

    assert len(_recap_rows(complaints, query)) == 1  # the header only
    assert USULAN["judul"] in {row[1] for row in _recap_rows(viewer, query)[1:]}


def _answer_first_response(client, app, code: str) -> None:
    """Classify the complaint and send the initial response through the task pages."""
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id).filter_by(tracking_code=code)).scalar_one()
        tid = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance_id)).scalar_one()
    assert post(client, f"/tugas/{tid}", as_form(KLASIFIKASI)).status_code == 302
    with app.app_context():
        tid = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance_id,
                                                                     name="respon_awal")).scalar_one()
    assert post(client, f"/tugas/{tid}", as_form(RESPON_AWAL)).status_code == 302


def test_report_counts_a_deadline_passed_without_an_outcome_as_late_and_only_an_unreached_one_as_pending(
        client, app, monkeypatch):
    monkeypatch.setattr(queries, "STATE_CHUNK", 1)  # states are streamed in chunks; here each is its own chunk
    monkeypatch.setattr(queries, "ROW_LIMIT", 1)  # the recap's cap does not limit a report
    with use_clock(FixedClock(datetime(2026, 3, 17, 9, 0, tzinfo=WIB)), everywhere=True) as clock:
        on_time, late, _overdue = [submit_complaint(client, {**PUBLIC, "perihal": f"Pengaduan ke-{n}"})
                                   for n in (1, 2, 3)]
        team = app.test_client()
        login(team, "tim_pengaduan")
        _answer_first_response(team, app, on_time)
        clock.advance(days=14)  # past the one-working-day deadline of the second and the third complaint
        submit_complaint(client, {**PUBLIC, "perihal": "Pengaduan ke-4"})  # its deadline is still ahead
        team = app.test_client()
        login(team, "tim_pengaduan")
        _answer_first_response(team, app, late)
        page = team.get("/laporan?proses=pengaduan").get_data(as_text=True)
    row = re.search(r'data-deadline="respon_awal_tepat_waktu">(.*?)</tr>', page, re.S).group(1)
    counts = dict(re.findall(r'data-col="(\w+)">(\d+)<', row))
    assert counts == {"tepat": "1", "terlambat": "2", "belum": "1"}  # the third: no response yet, already late
    assert "4 kasus" in page and "batasnya sudah lewat tanpa hasil dihitung <strong>terlambat</strong>" in page
    assert "<svg" in page and 'class="g-tepat"' in page and 'class="g-terlambat"' in page


def test_the_deadline_of_each_verdict_is_read_from_the_diagrams_on_time_call(app):
    with app.app_context():
        deadlines = reports.verdict_deadlines(runtime().current("pengaduan").version)
    assert deadlines["respon_awal_tepat_waktu"] == "batas_respon_awal"
    assert deadlines["analisis_tepat_waktu"] == "batas_respon_akhir_intern"


def test_a_deadline_is_named_with_the_diagrams_own_capitals_rkpd_not_rkpd():
    version = SimpleNamespace(name="Baperlitbang: usulan masyarakat sampai RKPD",
                              tasks={"catat": SimpleNamespace(title="Catat Perkada RKPD dan input SIMDA")})
    acronyms = reports.diagram_acronyms(version)
    assert reports.deadline_label("rkpd_tepat_waktu", acronyms) == "RKPD"
    assert reports.deadline_label("input_simda_tepat_waktu", acronyms) == "Input SIMDA"
    assert reports.deadline_label("respon_awal_tepat_waktu", acronyms) == "Respon awal"

# -- inbox paging and filters, completion by someone else, admin retry ---------------------------


def _proposals(app, count: int) -> list[str]:
    """`count` proposals waiting at the RW step (started in the service layer: the pages are tested above)."""
    with app.app_context():
        ref = runtime().current("musrenbang")
        for n in range(count):
            instances.start(ref, {**USULAN, "judul": f"Usulan nomor {n:02d}"}, Actor("uji"))
        db.session.commit()
        return list(db.session.execute(db.select(PendingTask.id).order_by(PendingTask.id)).scalars())


def _listed(client, query: str = "") -> list[str]:
    return re.findall(r'<li class="tugas [^"]*" data-task="([^"]+)"', client.get(f"/tugas{query}").get_data(as_text=True))


def test_inbox_pages_show_every_task_exactly_once(client, app):
    every = _proposals(app, 23)
    login(client, "ketua_rw")

    first, second = _listed(client), _listed(client, "?hal=2")

    assert len(first) == 20 and len(second) == 3
    assert set(first).isdisjoint(second) and set(first) | set(second) == set(every)
    assert "Halaman 2 dari 2" in client.get("/tugas?hal=2").get_data(as_text=True)


def test_a_page_past_the_last_shows_the_last_page_with_its_links(client, app):
    _proposals(app, 23)
    login(client, "ketua_rw")

    past = client.get("/tugas?hal=999").get_data(as_text=True)

    assert _listed(client, "?hal=999") == _listed(client, "?hal=2") and len(_listed(client, "?hal=2")) == 3
    assert "Halaman 2 dari 2" in past and "Tidak ada tugas" not in past and "?hal=1" in past
    admin = app.test_client()
    login(admin, "admin")
    listing = admin.get("/admin/instance?proses=musrenbang&hal=999").get_data(as_text=True)
    assert "Tidak ada kasus" not in listing and len(re.findall(r">Usulan nomor \d\d</a></td>", listing)) == 23


@pytest.mark.parametrize("user, path", [("ketua_rw", "/tugas"), ("admin", "/admin/instance")])
def test_a_page_number_too_large_for_the_database_still_answers_a_page(client, user, path):
    login(client, user)
    for number in ("99999999999999999999", "-5", "abc"):
        answer = client.get(f"{path}?hal={number}")
        assert answer.status_code == 200, number
        assert "terjadi kesalahan" not in answer.get_data(as_text=True)


def test_the_late_only_filter_returns_the_overdue_tasks_and_nothing_else(client, app):
    every = _proposals(app, 6)
    overdue = {every[1], every[4]}
    with app.app_context():
        past = now() - timedelta(days=3)
        db.session.execute(db.update(PendingTask).where(PendingTask.id.in_(overdue)).values(due_at=past, sort_key=past))
        db.session.commit()
    login(client, "ketua_rw")

    assert set(_listed(client, "?terlambat=1")) == overdue
    assert set(_listed(client)) == set(every)


def _rw_and_colleague_on_one_task(client, app):
    """A proposal at the RW step, the RW and a colleague holding the same lane signed in, and the RW's form
    open: (task id, the RW's client, the colleague's client, the RW's form token)."""
    with app.app_context():
        colleague = ensure_user("ketua_rw_wakil", PASSWORD, "Wakil Ketua RW 02")
        grant(colleague, "Ketua RW", "33.13.05.2001/RW02")
        db.session.commit()
    login(client, "ketua_rt")
    start_proposal(client)
    tid = task_id(app, "verifikasi_rw")
    mine, theirs = app.test_client(), app.test_client()
    login(mine, "ketua_rw")
    login(theirs, "ketua_rw_wakil")
    return tid, mine, theirs, csrf(mine, f"/tugas/{tid}")


def test_a_task_completed_by_a_colleague_names_who_did_it(client, app):
    tid, mine, theirs, token = _rw_and_colleague_on_one_task(client, app)  # the RW opens the form ...

    assert post(theirs, f"/tugas/{tid}", as_form(TERIMA_RW)).status_code == 302  # ... the colleague is faster
    late = mine.post(f"/tugas/{tid}", data=MultiDict([*as_form(TERIMA_RW), ("csrf_token", token)]))

    page = late.get_data(as_text=True)
    assert late.status_code == 409 and 'id="tugas-selesai"' in page
    assert '<strong id="diselesaikan-oleh">Wakil Ketua RW 02</strong>' in page and "isian Anda tidak disimpan" in page
    with app.app_context():
        completions = db.session.execute(db.select(AuditEvent.actor).filter_by(kind="task_completed")).scalars().all()
    assert completions == ["ketua_rw_wakil"]


def test_a_task_claimed_by_a_colleague_shows_who_holds_it_and_keeps_what_was_typed(client, app):
    tid, mine, theirs, token = _rw_and_colleague_on_one_task(client, app)  # the RW opens the form ...
    assert post(theirs, f"/tugas/{tid}/ambil", {}).status_code == 302  # ... while the colleague claims it

    opened = mine.get(f"/tugas/{tid}").get_data(as_text=True)
    assert 'id="diambil-lain"' in opened and '<strong id="diambil-oleh">Wakil Ketua RW 02</strong>' in opened
    assert '<fieldset class="polos" disabled>' in opened

    typed = {**TERIMA_RW, "nomor_berita_acara_rw": "BA/RW02/DIKETIK/2026"}
    late = mine.post(f"/tugas/{tid}", data=MultiDict([*as_form(typed), ("csrf_token", token)]))
    page = late.get_data(as_text=True)
    assert late.status_code == 409 and 'id="diambil-lain"' in page and 'id="tugas-selesai"' not in page
    assert "Isian Anda tidak disimpan" in page and typed["nomor_berita_acara_rw"] in page
    with app.app_context():
        assert db.session.get(PendingTask, tid).claimed_by_id == colleague_id(app)
        assert not db.session.execute(db.select(AuditEvent).filter_by(kind="task_completed")).first()


def colleague_id(app) -> int:
    from api.models import User

    return db.session.execute(db.select(User.id).filter_by(username="ketua_rw_wakil")).scalar_one()


def test_a_bad_admin_list_filter_is_named_beside_it_and_the_typed_values_stay(client):
    login(client, "admin")

    answer = client.get("/admin/instance?dari=abc&status=xyz&cari=jalan")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="saringan-salah"' in page
    assert 'id="galat-dari">bukan tanggal yang sah (TTTT-BB-HH)<' in page
    assert 'id="galat-status">status tidak dikenal' in page and 'value="jalan"' in page

    reversed_period = client.get("/admin/instance?dari=2026-03-10&sampai=2026-03-01")
    page = reversed_period.get_data(as_text=True)
    assert reversed_period.status_code == 422 and 'id="galat-sampai">tidak boleh sebelum tanggal' in page
    assert 'value="2026-03-10"' in page and 'value="2026-03-01"' in page


def test_the_admin_list_sorts_by_a_column_keeping_every_filter(client, app):
    _proposals(app, 3)
    login(client, "admin")

    def titles(query: str) -> list[str]:
        page = client.get(f"/admin/instance?{query}").get_data(as_text=True)
        return re.findall(r'">(Usulan nomor \d\d)</a></td>', page)

    assert titles("proses=musrenbang&cari=usulan&urut=judul&arah=naik") == [
        "Usulan nomor 00", "Usulan nomor 01", "Usulan nomor 02"]
    assert titles("proses=musrenbang&cari=usulan&urut=judul&arah=turun") == [
        "Usulan nomor 02", "Usulan nomor 01", "Usulan nomor 00"]
    page = client.get("/admin/instance?proses=musrenbang&cari=usulan&urut=judul&arah=naik").get_data(as_text=True)
    header = re.search(r'<th aria-sort="ascending"><a href="\?([^"]+)">Judul ▲</a>', page).group(1)
    assert header == "proses=musrenbang&amp;cari=usulan&amp;urut=judul&amp;arah=turun"
    kode = re.search(r'<th><a href="\?([^"]+)">Kode</a>', page).group(1)
    assert kode == "proses=musrenbang&amp;cari=usulan&amp;urut=kode&amp;arah=turun"
    assert '<td class="kode-lacak"><code>' in page


@pytest.fixture
def errored(seeded_db, tmp_path):
    """An app with the small test procedures beside the real ones, and a report whose score script divides by 0."""
    processes, forms = write_fixture_project(tmp_path / "uji")
    app = make_app(fresh_db(seeded_db, tmp_path / "alur.db"), ALUR_PROCESSES_DIR=processes, ALUR_FORMS_DIR=forms)
    with app.app_context():
        instance = instances.start(runtime().current("uji_lapor"), REPORT, Actor("uji"))
        for data in ({"catatan": "sudah dicek"}, {"jawaban": "bagi nol", "pembagi": 0}):  # verify, then answer
            waiting = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance.id)).scalar_one()
            result = runtime().engine.complete(runtime().by_row(instance.version_id).version, instance.state,
                                               waiting, data, lane=None)
            save(instance, result, Actor("uji"))
            db.session.commit()
        assert instance.status == "error"
        instance_id = instance.id
    yield app, instance_id
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_admin_sees_why_a_step_failed_and_the_retry_button_runs_it_again(errored):
    app, instance_id = errored
    admin = app.test_client()
    login(admin, "admin")
    url = f"/admin/instance/{instance_id}"

    page = admin.get(url).get_data(as_text=True)
    failed = re.search(r'<li data-element="nilai">(.*?)</li>', page, re.S).group(1)
    assert "Hitung skor" in failed and "ZeroDivisionError" in failed
    assert "<h2>Kesalahan</h2>" in page and "ada kesalahan" in page  # the glossary's word, heading and status
    again = post(admin, f"{url}/ulangi", {}, token_page=url, follow_redirects=True).get_data(as_text=True)
    assert "gagal lagi" in again and "ZeroDivisionError" in again
    with app.app_context():  # someone corrects the data the step divides by (the API's retry can do this too)
        instance = db.session.get(Instance, instance_id)
        ref = runtime().by_row(instance.version_id)
        failed_task = runtime().engine.inspect(ref.version, instance.state).errored[0].task_id
        instance.state = runtime().engine.update_data(ref.version, instance.state, failed_task, {"pembagi": 4})
        db.session.commit()

    done = post(admin, f"{url}/ulangi", {}, token_page=url, follow_redirects=True).get_data(as_text=True)

    assert "dijalankan ulang dan berhasil" in done
    with app.app_context():
        assert db.session.get(Instance, instance_id).status == "complete"
        retries = db.session.execute(db.select(db.func.count()).select_from(AuditEvent).filter_by(
            instance_id=instance_id, kind="instance_retried")).scalar()
    assert retries == 2


# -- form parsing --------------------------------------------------------------------------------


def test_booleans_inside_a_list_of_objects_are_kept_ticked_or_not():
    schema = {"type": "object", "properties": {"opd": {"type": "array", "items": {
        "type": "object", "properties": {"nama": {"type": "string"}, "hadir": {"type": "boolean"}}}}}}
    form = parse_form("uji/hadir.schema.json", json.dumps(schema))
    sent = MultiDict([("opd.0.nama", "Dinas PU"), ("opd.0.hadir", "1"), ("opd.1.nama", "Bappeda"),
                      ("opd.2.hadir", "1"), ("opd.3.nama", "")])

    assert parse(form, sent) == {"opd": [{"nama": "Dinas PU", "hadir": True}, {"nama": "Bappeda", "hadir": False},
                                         {"hadir": True}]}


# -- the forum's document --------------------------------------------------------------------


def test_a_forums_decided_list_is_its_document_ranked_as_a_page_csv_and_xlsx_for_its_area_only(client, app):
    from api.seed import seed_demo_cases

    with app.app_context():
        forum_id = seed_demo_cases().created["forum_musrenbang_cam_matesih"]
        rows = db.session.execute(db.select(Instance).where(Instance.process_id == "musrenbang")).scalars().all()
        by_title = {i.title: i.tracking_code for i in rows}
    login(client, "tim_musrenbang_kecamatan")
    listing = client.get("/keputusan").get_data(as_text=True)
    assert "MUSRENBANG-CAM Matesih RKPD" in listing and f"/keputusan/{forum_id}" in listing
    page = client.get(f"/keputusan/{forum_id}").get_data(as_text=True)
    assert "Nomor berita acara forum" in page and "Pendapa Kecamatan Matesih" in page
    assert "Peringkat (unik)" in page and "Diterima, masuk rekap prioritas kecamatan" in page

    answer = client.get(f"/keputusan/{forum_id}.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    head = lines.index(next(r for r in lines if r and r[0] == "Peringkat (unik)"))
    table = lines[head + 1:]
    assert [r[0] for r in table] == ["1", "2", "3"]  # in rank order
    assert [r[1] for r in table] == [by_title[t] for t in (
        "Pengaspalan jalan poros Dusun Ngemplak", "Pembangunan jaringan air bersih perpipaan RT 001",
        "Rehabilitasi gedung Posyandu Melati RT 001")]
    sheet = load_workbook(io.BytesIO(client.get(f"/keputusan/{forum_id}.xlsx").data)).active
    assert sheet["A1"].value.startswith("MUSRENBANG-CAM Matesih RKPD")
    assert [c.value for c in sheet[sheet.max_row]][0] == 3  # numbers stay numbers

    # The next forum's decision page opens with the proposal the first one did not list, ranked first.
    with app.app_context():
        waiting = db.session.execute(db.select(PendingTask.id).filter_by(name="putuskan_usulan_kecamatan")).scalar_one()
    form = client.get(f"/tugas/{waiting}").get_data(as_text=True)
    missed = by_title["Pemasangan penerangan jalan umum tenaga surya"]
    assert 'name="usulan.0.kode_lacak"' in form and f'value="{missed}"' in form
    assert 'name="usulan.0.peringkat"' in form and 'value="1"' in form
    # Its rows are the waiting proposals: no row can be added by hand, and what the proposal shares is read-only.
    listing = re.search(r'<fieldset class="daftar daftar-tetap" data-array="usulan" data-fixed-rows>(.*?)</fieldset>',
                        form, re.S).group(1)
    assert "tambah-butir" not in listing and "<template>" not in listing
    assert "Keluarkan dari daftar" in listing and "tetap menunggu" in listing
    assert re.search(r'<input id="i-usulan\.0\.kode_lacak" name="usulan\.0\.kode_lacak"[^>]* readonly', listing)
    assert not re.search(r'<input id="i-usulan\.0\.skor_prioritas"[^>]* readonly', listing)

    other = app.test_client()
    login(other, "operator_kec_jaten")  # another kecamatan does not see it
    assert f"/keputusan/{forum_id}" not in other.get("/keputusan").get_data(as_text=True)
    assert other.get(f"/keputusan/{forum_id}").status_code == 404


def test_given_unit_restricted_opd_grants_when_they_read_forum_documents_then_each_reads_only_its_own_opds(
        app):
    from api.seed import seed_demo_cases

    with app.app_context():
        created = seed_demo_cases().created
    dinkes, dpupr = created["forum_gabungan_opd_dinkes"], created["forum_gabungan_opd_dpupr"]

    def reader(username: str):
        client = app.test_client()
        login(client, username)
        return client

    # The Dinkes planner holds the forum's lane in the whole regency, but only for the Dinkes unit.
    opd = reader("opd_dinkes")
    listing = opd.get("/keputusan").get_data(as_text=True)
    assert f"/keputusan/{dinkes}" in listing and f"/keputusan/{dpupr}" not in listing
    assert f"/keputusan/{dpupr}" not in opd.get("/keputusan?proses=forum_gabungan_opd").get_data(as_text=True)
    for suffix in ("", ".csv", ".xlsx"):
        assert opd.get(f"/keputusan/{dpupr}{suffix}").status_code == 404, suffix
        assert opd.get(f"/keputusan/{dinkes}{suffix}").status_code == 200, suffix
    assert "Dinas Kesehatan" in opd.get(f"/keputusan/{dinkes}").get_data(as_text=True)

    # An admin and a report viewer read every forum of their region.
    for username in ("admin", "pemantau"):
        whole = reader(username)
        listing = whole.get("/keputusan").get_data(as_text=True)
        assert f"/keputusan/{dinkes}" in listing and f"/keputusan/{dpupr}" in listing, username
        for suffix in ("", ".csv", ".xlsx"):
            assert whole.get(f"/keputusan/{dpupr}{suffix}").status_code == 200, (username, suffix)
            assert whole.get(f"/keputusan/{dinkes}{suffix}").status_code == 200, (username, suffix)


def test_the_inbox_and_the_admin_list_search_title_words_and_the_reporter(client, app):
    login(client, "ketua_rt")
    start_proposal(client, {**USULAN, "judul": "Perbaikan talud Dusun Ngemplak"})
    start_proposal(client, {**USULAN, "judul": "Lampu jalan Dusun Krajan", "nama_pengusul": "Bambang Wiyono"})
    rw = app.test_client()
    login(rw, "ketua_rw")
    page = rw.get("/tugas?cari=talud").get_data(as_text=True)
    assert "Perbaikan talud Dusun Ngemplak" in page and "Lampu jalan Dusun Krajan" not in page
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/instance?cari=wiyono").get_data(as_text=True)
    assert "Lampu jalan Dusun Krajan" in page and "Perbaikan talud" not in page
    assert 'name="cari" value="wiyono"' in page


def test_a_field_required_unless_another_is_ticked_says_so_at_its_label(client):
    page = client.get("/publik/pengaduan").get_data(as_text=True)
    label = re.search(r'<label for="[^"]*nama_pelapor">(.*?)</label>', page, re.S).group(1)
    assert "Nama pelapor" in label and 'class="wajib"' in label
    assert "wajib kecuali Anonim (identitas pelapor disembunyikan) dicentang" in label


def test_the_favicon_is_served_and_every_page_links_it(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/publik").get_data(as_text=True)


def test_a_computed_field_without_a_title_keeps_the_capitals_the_forms_use():
    from api.web.values import Vocabulary, label
    from engine.forms import FormRef

    vocab = Vocabulary([FormRef("f.json", {"properties": {"tahun_rkpd": {"title": "Tahun RKPD yang dituju"},
                                                          "opd": {"title": "OPD tujuan"}}})])
    assert label("batas_rkpd", None, vocab) == "Batas RKPD" and label("opd_tujuan_awal", None, vocab) == "OPD tujuan awal"


# -- case data as staff read it ------------------------------------------------------------


def test_given_forms_of_a_process_then_codes_show_their_titles_numbers_and_dates_read_indonesian():
    from api.web.values import Vocabulary, display_value, value_table
    from engine.forms import FormRef

    opd = {"title": "OPD tujuan", "type": "string", "oneOf": [{"const": "dpupr", "title": "Dinas PUPR"}]}
    satuan = {"title": "Satuan", "type": "string", "enum": ["m", "unit"], "enumNames": ["meter", "buah"]}
    vocab = Vocabulary([FormRef("f.json", {"properties": {"opd_tujuan": opd, "satuan": satuan}})])

    # A script's copy of a chosen field takes the title of the field it was copied from.
    assert display_value("dpupr", None, name="opd_tujuan_awal", vocab=vocab) == "Dinas PUPR"
    assert display_value("unit", satuan) == "buah"
    # A code of another field keeps its spelling: a stem lends only the codes it has.
    assert display_value("dinkes", None, name="opd_tujuan_awal", vocab=vocab) == "dinkes"
    assert display_value("hari_kalender") == "hari kalender"  # a script's code that no form names
    assert display_value(420000000) == "420.000.000" and display_value(2027) == "2027"
    assert display_value(2.5) == "2,5" and display_value(1234567.25) == "1.234.567,25"
    assert display_value("2026-12-03") == "3 Des 2026"

    columns, rows = value_table([{"opd_tujuan": "dpupr", "biaya": 1500000, "tanggal": "2027-01-02"},
                                 {"opd_tujuan": "dpupr", "setuju": True}], vocab=vocab)
    assert columns == ["OPD tujuan", "Biaya", "Tanggal", "Setuju"]
    assert rows == [["Dinas PUPR", "1.500.000", "2 Jan 2027", "-"], ["Dinas PUPR", "-", "-", "Ya"]]
    columns, rows = value_table({"desa": {"mulai": "2027-01-02"}, "opd": {"mulai": "2027-02-15"}}, vocab=vocab)
    assert columns == ["", "Mulai"] and rows == [["Desa", "2 Jan 2027"], ["OPD", "15 Feb 2027"]]
    assert value_table(["a", "b"]) is None and value_table("dpupr") is None


def _data_section(html: str) -> str:
    return html[html.index("<h2>Data</h2>"):html.index("<h2>Peristiwa</h2>")]


def test_given_demo_cases_when_the_admin_opens_them_then_nested_data_and_codes_read_as_words(client, app):
    from api.seed import seed_demo_cases

    with app.app_context():
        created = seed_demo_cases().created
        approved = db.session.execute(db.select(Instance.id).where(
            Instance.process_id == "aspirasi", Instance.state.contains("riwayat_persetujuan"),
            Instance.state.contains("tanggal_kegiatan"))).scalars().first()
        proposal = db.session.execute(db.select(Instance.id).where(
            Instance.process_id == "musrenbang").order_by(Instance.id)).scalars().first()
    login(client, "admin")

    aspiration = _data_section(client.get(f"/admin/instance/{approved}").get_data(as_text=True))
    assert "<th>Keputusan</th><th>Waktu rencana kegiatan (WITA)</th>" in aspiration  # a list is a table
    assert "<td>Disetujui</td>" in aspiration and "<td>setujui</td>" not in aspiration
    assert "waktu_rencana" not in aspiration and "pemberitahuan_terlambat" not in aspiration
    assert "hari kalender" in aspiration and "tanggal kegiatan" in aspiration
    assert "hari_kalender" not in aspiration and "tanggal_kegiatan" not in aspiration

    musrenbang = _data_section(client.get(f"/admin/instance/{proposal}").get_data(as_text=True))
    assert "<dt>OPD tujuan awal</dt><dd>Dinas Pekerjaan Umum dan Penataan Ruang</dd>" in musrenbang
    assert "<th>Mulai</th><th>Batas</th>" in musrenbang and "<td>2 Jan 2027</td>" in musrenbang
    assert "<th>Tingkat</th><th>Keputusan</th>" in musrenbang and "mulai:" not in musrenbang
    assert re.search(r"<dt>Perkiraan biaya \(Rp\)</dt><dd>\d{1,3}(\.\d{3})+</dd>", musrenbang)

    forum = created["forum_gabungan_opd_dpupr"]
    page = client.get(f"/keputusan/{forum}").get_data(as_text=True)
    assert "<dd>Dinas Pekerjaan Umum dan Penataan Ruang</dd>" in page and "420.000.000" in page
    assert 'data-col="opd_tujuan">Dinas Pekerjaan Umum dan Penataan Ruang<' in page
    lines = list(csv.reader(io.StringIO(client.get(f"/keputusan/{forum}.csv").get_data(as_text=True))))
    assert ["OPD penyelenggara", "Dinas Pekerjaan Umum dan Penataan Ruang"] in lines
    assert "dpupr" not in {value for line in lines for value in line}
    sheet = load_workbook(io.BytesIO(client.get(f"/keputusan/{forum}.xlsx").data)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert "dpupr" not in {c.value for c in cells}
    cost = next(c for c in cells if c.value == 420000000)  # still a number, grouped when shown
    assert cost.number_format == "#,##0"
    held = next(row[1] for row in sheet.iter_rows() if row[0].value == "Tanggal forum")
    assert isinstance(held.value, datetime) and held.number_format == "d mmm yyyy"  # a date, not "2 Des 2026"


# -- the history ----------------------------------------------------------------------------


def _written_event_kinds() -> set[str]:
    """Every event kind a literal in engine/ or api/ writes: `record(instance, "kind", ...)`, `_event("kind", ...)`,
    `EngineEvent("kind", ...)`, the kind the engine's `_send` is given, or `kind="..."` to AuditEvent."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    position = {"record": 1, "_event": 0, "EngineEvent": 0, "_send": 4}
    kinds: set[str] = set()
    for path in [*(root / "engine").rglob("*.py"), *(root / "api").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            args = list(node.args)
            if func in position and len(args) > position[func]:
                args = [args[position[func]]]
            elif func == "AuditEvent":
                args = [k.value for k in node.keywords if k.arg == "kind"]
            else:
                continue
            kinds |= {a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return kinds


def test_every_event_kind_the_engine_or_the_api_writes_has_an_indonesian_name():
    from api.web.common import EVENT_NAMES

    kinds = _written_event_kinds()
    assert {"task_ready", "message_delivered", "message_undelivered", "timer_failed", "migrated"} <= kinds
    assert kinds - set(EVENT_NAMES) == set(), "jenis peristiwa tanpa nama"


def test_given_a_step_became_ready_when_its_history_is_shown_then_it_names_the_step_by_its_diagram_title(
        client, app):
    login(client, "ketua_rt")
    assert start_proposal(client).status_code == 302
    tid = task_id(app, "verifikasi_rw")
    rw = app.test_client()
    login(rw, "ketua_rw")
    page = rw.get(f"/tugas/{tid}").get_data(as_text=True)
    history = page[page.index('<ol class="riwayat">'):]
    assert "<strong>tugas siap</strong> · Bahas usulan di musyawarah RW" in history
    assert "· verifikasi_rw" not in history

    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():
        instance_id = db.session.execute(db.select(Instance.id)).scalar_one()
    page = admin.get(f"/admin/instance/{instance_id}").get_data(as_text=True)
    assert "· Bahas usulan di musyawarah RW" in page[page.index("<h2>Peristiwa</h2>"):]
    token = admin.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).get_json()["token"]
    answer = admin.get(f"/api/v1/admin/instances/{instance_id}", headers={"Authorization": f"Bearer {token}"})
    ready = [e for e in answer.get_json()["events"] if e["kind"] == "task_ready"]  # the API: title beside the id
    assert [(e["task_name"], e["task_title"]) for e in ready] == [("verifikasi_rw", "Bahas usulan di musyawarah RW")]


# -- recap exports ----------------------------------------------------------------------------


def test_given_a_recap_with_dates_when_exported_then_xlsx_holds_real_dates_and_csv_keeps_the_text(client, app):
    from datetime import date

    login(client, "ketua_rt")
    start_proposal(client)
    desa = app.test_client()
    login(desa, "kepala_desa")
    query = "proses=musrenbang&langkah=verifikasi_rw&pilih=1&kolom=tanggal_musyawarah_rt"
    with app.app_context():
        instance = db.session.execute(db.select(Instance)).scalar_one()
        started = instance.created_at
    started_wib = started.astimezone(WIB).replace(tzinfo=None)

    sheet = load_workbook(io.BytesIO(desa.get(f"/rekap.xlsx?{query}").data)).active
    titles = [c.value for c in sheet[1]]
    begun, met = sheet.cell(row=2, column=titles.index("Dimulai") + 1), sheet.cell(row=2, column=len(titles))
    assert titles[-1] == "Tanggal musyawarah RT"
    assert isinstance(begun.value, datetime) and begun.number_format == "d mmm yyyy hh:mm"
    assert abs(begun.value - started_wib) < timedelta(seconds=1)  # the wall time of the case's region (WIB)
    assert met.value == datetime.combine(date.fromisoformat(USULAN["tanggal_musyawarah_rt"]), datetime.min.time())
    assert met.number_format == "d mmm yyyy"

    rows = _recap_rows(desa, query)
    assert rows[1][titles.index("Dimulai")].endswith("WIB")  # the CSV stays as the page shows it
    day = date.fromisoformat(USULAN["tanggal_musyawarah_rt"])
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    assert rows[1][-1] == f"{day.day} {months[day.month - 1]} {day.year}"


# -- form hints and messages ------------------------------------------------------------------


def test_given_number_fields_then_hints_name_only_the_bounds_the_form_gives_in_indonesian_numbers(client):
    login(client, "ketua_rt")
    page = client.get("/mulai/musrenbang").get_data(as_text=True)
    hints = [h for h in re.findall(r'<small class="batas">([^<]*)</small>', page)
             if not h.startswith("paling")]  # the numbers' hints, not a date's bounds
    assert "min 0 · maks 1.000.000.000.000" in hints  # perkiraan biaya
    assert "min 2025 · maks 2100" in hints  # tahun RKPD: a year stays ungrouped
    assert "min 0 (tidak termasuk)" in hints  # volume: no upper bound, so no "maks"
    bound = r"(min|maks) [\d.,]+( \(tidak termasuk\))?"
    assert all(re.fullmatch(f"{bound}( · {bound})?", h) for h in hints), hints  # never a bare "min · maks"


def test_given_a_fractional_year_and_a_huge_cost_when_submitted_then_each_field_says_why_in_its_own_words(client):
    login(client, "ketua_rt")
    answer = start_proposal(client, {**USULAN, "tahun_rkpd": "2027,5", "perkiraan_biaya": "100.000.000.000.000.000.000"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    year = re.search(r'id="galat-tahun_rkpd">([^<]*)<', page).group(1)
    cost = re.search(r'id="galat-perkiraan_biaya">([^<]*)<', page).group(1)
    assert year == "harus bilangan bulat, tanpa pecahan di belakang koma"
    assert cost == "tidak boleh lebih dari 1.000.000.000.000"
    assert 'value="2027,5"' in page  # kept as typed


def test_given_a_bad_moment_on_a_page_then_the_message_gives_the_pages_input_format_not_iso(client, app):
    login(client, "tim_pengaduan")
    data = {**{k: v for k, v in PENGADUAN.items() if k not in ("kode_lacak", "diterima_pada")},
            "diterima_pada": "kemarin sore"}
    answer = post(client, "/mulai/pengaduan", as_form(data), token_page="/mulai/pengaduan")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    message = re.search(r'id="galat-diterima_pada">([^<]*)<', page).group(1)
    assert message == "isi tanggal dan jam lengkap, misalnya 17/03/2026 09:00, lalu pilih zona waktunya"
    assert "T09:00:00+07:00" not in page


def test_a_moment_or_date_typed_as_the_message_shows_is_read_in_the_zone_chosen_beside_it():
    form = parse_form("uji/waktu.schema.json", json.dumps({
        "type": "object", "properties": {"waktu": {"type": "string", "format": "date-time"},
                                         "tanggal": {"type": "string", "format": "date"},
                                         "tahun": {"type": "integer"}}}))
    typed = MultiDict({"waktu": "17/03/2026 09.00", "waktu__zona": "+08:00", "tanggal": "7/3/2026",
                       "tahun": "2.027"})
    assert parse(form, typed) == {"waktu": "2026-03-17T09:00:00+08:00", "tanggal": "2026-03-07", "tahun": 2027}


def test_given_a_year_the_musrenbang_calendar_lacks_then_the_start_page_says_which_years_it_knows(client, app):
    login(client, "ketua_rt")
    answer = start_proposal(client, {**USULAN, "tahun_rkpd": 2026, "judul": "Usulan tahun tanpa kalender"})

    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    error = re.search(r'<p class="galat-isian" id="galat-tahun_rkpd">(.*?)</p>', page).group(1)
    assert error.startswith("2026 tidak ada dalam kalender_musrenbang; yang tersedia: 2027, 2028")
    assert "Usulan tahun tanpa kalender" in page  # what was typed is kept
    with app.app_context():
        assert db.session.execute(db.select(Instance).filter_by(title="Usulan tahun tanpa kalender")).first() is None


def _forum_started_twice(client, who: str, process_id: str, start: dict, second_name: str):
    """`who` starts the forum on its start page, then the same again under another name: the second answer."""
    login(client, who)
    page = f"/mulai/{process_id}"
    assert post(client, page, as_form(start), token_page=page).status_code == 302
    return post(client, page, as_form({**start, "nama_forum": second_name}), token_page=page)


def test_given_a_musrenbang_kab_of_a_year_then_the_start_page_refuses_a_second_beside_the_year(client, app):
    year = date.today().year + 4  # a year the calendar knows and the demo holds no forum of
    start = {"nama_forum": f"MUSRENBANG-KAB RKPD {year}", "tahun_rkpd": year, "wilayah": "33.13",
             "tanggal_forum": date.today().isoformat(), "tempat_forum": "Pendapa Rumah Dinas Bupati"}

    again = _forum_started_twice(client, "baperlitbang", "forum_musrenbang_kab", start, "MUSRENBANG-KAB kedua")

    assert again.status_code == 409
    html = again.get_data(as_text=True)
    error = re.search(r'<p class="galat-isian" id="galat-tahun_rkpd">(.*?)</p>', html).group(1)
    assert f"Tahun RKPD {year}" in error and "tidak boleh dimulai dua kali" in error
    assert "MUSRENBANG-KAB kedua" in html  # what was typed is kept


def test_given_an_open_musyawarah_desa_then_the_start_page_refuses_a_second_of_that_desa_and_year_beside_the_fields(
        client, app):
    year = date.today().year + 4  # a year the calendar knows and the demo holds no forum of
    start = {"nama_forum": f"Musrenbang Desa Gantiwarno RKPD {year}", "tahun_rkpd": year, "wilayah": "33.13.05.2001",
             "tanggal_forum": date.today().isoformat(), "tempat_forum": "Balai Desa Gantiwarno"}

    page = "/mulai/forum_musrenbang_desa"
    again = _forum_started_twice(client, "kepala_desa", "forum_musrenbang_desa", start, "Musyawarah Gantiwarno kedua")

    assert again.status_code == 409
    html = again.get_data(as_text=True)
    for field in ("wilayah", "tahun_rkpd"):
        error = re.search(rf'<p class="galat-isian" id="galat-{field}">(.*?)</p>', html).group(1)
        assert f"Tahun RKPD {year}" in error and "masih berjalan" in error
    assert "Musyawarah Gantiwarno kedua" in html  # what was typed is kept
    with app.app_context():
        assert db.session.execute(db.select(Instance).filter_by(title="Musyawarah Gantiwarno kedua")).first() is None
    another_year = post(client, page, as_form({**start, "tahun_rkpd": year + 1}), token_page=page)
    assert another_year.status_code == 302
