"""Every moment of a case is read on its office's clock: Tanah Bumbu (63.10) in WITA, Karanganyar (33.13) in WIB.

The zone is data on the regions (`regions.time_zone`, the demo seed gives 63 Asia/Makassar), inherited by
the regions below; date-time inputs open on that clock and every page shows the case's moments on it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from api.db import db
from api.models import Instance, PendingTask
from engine import FixedClock, use_clock
from tests.procedures.test_aspirasi import SETUJUI, UNJUK_RASA
from tests.procedures.test_pengaduan import PENGADUAN
from tests.web.conftest import login, post
from tests.web.test_pages import as_form


def local_inputs(data: dict, moments: dict[str, str]) -> list[tuple[str, str]]:
    """The inputs a browser sends when the user types each moment's local time and leaves the zone selector as
    the page offered it (no `__zona` input is changed: the page's selected option is sent)."""
    plain = {k: v for k, v in data.items() if k not in moments}
    return as_form(plain) + list(moments.items())


def selected_zone(page: str, field: str) -> str:
    select = re.search(rf'<select name="{field}__zona"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no zone selector for {field}"
    found = re.search(r'<option value="([^"]+)" selected>', select.group(1))
    assert found, f"no zone selected for {field}"
    return found.group(1)


def only_instance(app, process_id: str) -> tuple[int, str, dict]:
    with app.app_context():
        instance = db.session.execute(db.select(Instance).filter_by(process_id=process_id)).scalar_one()
        from api.services.versions import runtime

        ref = runtime().by_row(instance.version_id)
        data = runtime().engine.inspect(ref.version, instance.state).data
        return instance.id, instance.tracking_code, data


@pytest.fixture
def december():
    # Monday 7 December 2026, 10:00 WITA; the police were told on Saturday, the demonstration is on Wednesday.
    with use_clock(FixedClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC)), everywhere=True) as clock:
        yield clock


def test_given_a_tanah_bumbu_aspiration_when_09_00_is_typed_with_the_default_zone_then_it_is_09_00_wita_everywhere(
        client, app, december):
    login(client, "subbag_umum")
    page = client.get("/mulai/aspirasi").get_data(as_text=True)
    for field in ("waktu_rencana", "waktu_sttp", "diregistrasi_pada"):
        assert selected_zone(page, field) == "+08:00", field  # the form opens on WITA

    sent = local_inputs({**UNJUK_RASA, "waktu_sttp": "", "waktu_rencana": ""},
                        {"waktu_rencana": "2026-12-09T09:00", "waktu_rencana__zona": selected_zone(page, "waktu_rencana"),
                         "waktu_sttp": "2026-12-05T09:00", "waktu_sttp__zona": selected_zone(page, "waktu_sttp")})
    answer = post(client, "/mulai/aspirasi", sent, token_page="/mulai/aspirasi")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]

    instance_id, code, data = only_instance(app, "aspirasi")
    assert datetime.fromisoformat(data["waktu_rencana"]).astimezone(UTC) == datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    assert datetime.fromisoformat(data["waktu_sttp"]).astimezone(UTC) == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)

    sekretaris = app.test_client()
    login(sekretaris, "sekretaris_dprd")
    inbox = sekretaris.get("/tugas").get_data(as_text=True)
    assert "tanpa batas" in inbox and " WIB" not in inbox
    with app.app_context():
        task = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance_id)).scalar_one()
    task_page = sekretaris.get(f"/tugas/{task}").get_data(as_text=True)
    assert "9 Des 2026 09:00 WITA" in task_page and "5 Des 2026 09:00 WITA" in task_page
    assert " WIB" not in task_page  # the deadline, the history, every data field
    approved = post(sekretaris, f"/tugas/{task}", as_form(SETUJUI))
    assert approved.status_code == 302, approved.get_data(as_text=True)[:3000]
    kabag = app.test_client()
    login(kabag, "kabag_pengawasan")
    with app.app_context():
        agenda = db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance_id,
                                                                        name="agenda_koordinasi")).scalar_one()
    assert selected_zone(kabag.get(f"/tugas/{agenda}").get_data(as_text=True), "jadwal_penerimaan") == "+08:00"

    admin = app.test_client()
    login(admin, "admin")
    admin_page = admin.get(f"/admin/instance/{instance_id}").get_data(as_text=True)
    assert "9 Des 2026 09:00 WITA" in admin_page and "7 Des 2026 10:00 WITA" in admin_page  # planned; started
    assert "15 Des 2026 16:00 WITA" in admin_page  # 6 days' deadline: the end of the office day in Batulicin
    assert " WIB" not in admin_page
    listing = admin.get("/admin/instance?proses=aspirasi").get_data(as_text=True)
    assert "7 Des 2026 10:00 WITA" in listing

    tracking = app.test_client().get(f"/lacak?kode={code}").get_data(as_text=True)
    assert "7 Des 2026 10:00 WITA" in tracking and " WIB" not in tracking  # received, and the step's deadline

    viewer = app.test_client()
    login(viewer, "pemantau")
    recap = viewer.get("/rekap?proses=aspirasi&langkah=agenda_koordinasi&kolom=waktu_rencana&pilih=1")
    assert "9 Des 2026 09:00 WITA" in recap.get_data(as_text=True)
    export = viewer.get("/rekap.csv?proses=aspirasi&langkah=agenda_koordinasi&kolom=waktu_rencana&pilih=1")
    assert "9 Des 2026 09:00 WITA" in export.get_data(as_text=True)


def test_given_a_karanganyar_complaint_when_09_00_is_typed_with_the_default_zone_then_it_stays_09_00_wib(
        client, app, december):
    login(client, "tim_pengaduan")
    page = client.get("/mulai/pengaduan").get_data(as_text=True)
    assert selected_zone(page, "diterima_pada") == "+07:00"
    sent = local_inputs(PENGADUAN, {"diterima_pada": "2026-12-07T09:00",
                                    "diterima_pada__zona": selected_zone(page, "diterima_pada")})
    answer = post(client, "/mulai/pengaduan", [(k, v) for k, v in sent if k != "kode_lacak"],
                  token_page="/mulai/pengaduan")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]

    instance_id, code, data = only_instance(app, "pengaduan")
    assert datetime.fromisoformat(data["diterima_pada"]).astimezone(UTC) == datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    tracking = app.test_client().get(f"/lacak?kode={code}").get_data(as_text=True)
    assert "7 Des 2026 09:00 WIB" in tracking and "WITA" not in tracking
    admin = app.test_client()
    login(admin, "admin")
    admin_page = admin.get(f"/admin/instance/{instance_id}").get_data(as_text=True)
    assert "7 Des 2026 09:00 WIB" in admin_page and "WITA" not in admin_page


def test_given_a_region_whose_zone_the_admin_changes_then_its_cases_and_the_regions_below_follow(
        client, app, december):
    login(client, "tim_pengaduan")
    sent = local_inputs(PENGADUAN, {"diterima_pada": "2026-12-07T09:00", "diterima_pada__zona": "+07:00"})
    post(client, "/mulai/pengaduan", [(k, v) for k, v in sent if k != "kode_lacak"], token_page="/mulai/pengaduan")
    _, code, _ = only_instance(app, "pengaduan")

    admin = app.test_client()
    login(admin, "admin")
    changed = post(admin, "/admin/organisasi/wilayah", {"kode": "33", "nama": "Jawa Tengah", "tingkat": "provinsi",
                                                        "induk": "", "zona_waktu": "Asia/Jayapura"},
                   token_page="/admin/organisasi/wilayah")
    assert changed.status_code == 302
    listing = admin.get("/admin/organisasi/wilayah").get_data(as_text=True)
    assert "WIT <small>(Asia/Jayapura)</small>" in listing
    # The case is in 33.13, which names no zone: it takes the province's.
    assert "7 Des 2026 11:00 WIT" in app.test_client().get(f"/lacak?kode={code}").get_data(as_text=True)
    login(client, "tim_pengaduan")
    assert selected_zone(client.get("/mulai/pengaduan").get_data(as_text=True), "diterima_pada") == "+09:00"

    refused = post(admin, "/admin/organisasi/wilayah", {"kode": "33.13", "nama": "Kabupaten Karanganyar",
                                                        "tingkat": "kabupaten", "induk": "33", "zona_waktu": "WITA"},
                   token_page="/admin/organisasi/wilayah")
    assert refused.status_code == 422
    # the refusal stands beside the zone's input, the form kept as typed
    page = refused.get_data(as_text=True)
    assert re.search(r'id="i-zona_waktu".*?salah satu dari Asia/Jakarta \(WIB\)', page, re.S)
    with app.app_context():
        from api.models import Region

        assert db.session.get(Region, "33.13").time_zone is None  # nothing stored


def test_given_a_moment_stored_in_utc_when_a_wita_form_shows_it_then_it_is_written_on_the_wita_clock():
    from api.web.formkit import datetime_parts

    assert datetime_parts("2026-12-09T01:00:00Z", "+08:00") == ("2026-12-09T09:00", "+08:00")
    assert datetime_parts("2026-12-09T09:00:00+07:00", "+08:00") == ("2026-12-09T09:00", "+07:00")  # as chosen
    assert datetime_parts(None, "+08:00") == ("", "+08:00")
    assert datetime_parts("2026-02-31T09:00", "+08:00") == ("2026-02-31T09:00", "+08:00")  # as typed


def test_given_no_region_chosen_yet_then_a_start_form_opens_on_the_clock_the_users_regions_share(app):
    from api.web.common import start_zone

    with app.test_request_context():
        assert start_zone("wilayah", {}, ["63.10"]) == "Asia/Makassar"
        assert start_zone("wilayah", {}, ["63.10.05", "63.10.06"]) == "Asia/Makassar"
        assert start_zone("wilayah", {}, ["33.13", "63.10"]) == "Asia/Jakarta"  # two clocks: neither is assumed
        assert start_zone("wilayah", {"wilayah": "33.13.05"}, ["63.10"]) == "Asia/Jakarta"  # the chosen region wins
        assert start_zone(None, {}, [""]) == "Asia/Jakarta"
