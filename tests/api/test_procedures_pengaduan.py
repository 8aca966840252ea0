"""Pengaduan over HTTP: the public submits through the website, the team and officials handle it,
the reporter tracks it and gets the replies; an anonymous reporter stays hidden from the analysts."""

from __future__ import annotations

from datetime import datetime

import pytest

from api import worker
from tests.api.procedures import REAL_PROJECT, do, names
from tests.procedures.test_pengaduan import (
    ANALISIS_INTERN,
    ANALISIS_LINTAS_OPD,
    ARSIP,
    KLASIFIKASI,
    KOORDINASI,
    LAPORAN,
    PENGADUAN,
    RESPON_AKHIR,
    RESPON_AWAL,
    WIB,
)

SUBMITTED = {k: v for k, v in PENGADUAN.items() if k != "kode_lacak"}  # the application makes the code


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def staff(users):
    users.add("tim", ("Tim Pengaduan", "33.13"))
    users.add("analis_bidang", ("Pejabat Analis", "33.13"))
    users.add("penghubung", ("Penghubung Lintas OPD", "33.13"))
    users.add("kepala_baperlitbang", ("Kepala Baperlitbang", "33.13"))
    return users


def submit(client, data: dict) -> str:
    answer = client.post("/api/v1/public/processes/pengaduan/instances", json={"data": data})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["tracking_code"]


def test_a_website_complaint_is_handled_inside_baperlitbang_and_the_reporter_follows_it(client, staff, clock):
    code = submit(client, SUBMITTED)
    assert names(client, staff, "tim") == ["klasifikasi"]
    assert names(client, staff, "analis_bidang") == []

    do(client, staff, "tim", "klasifikasi", KLASIFIKASI)
    tracked = client.get(f"/api/v1/public/track/{code}").get_json()
    assert [(s["title"], s["due_at"]) for s in tracked["steps"]] == [
        ("Petugas sedang menyiapkan tanggapan awal untuk Anda", "2026-03-25T09:00:00+00:00")]  # the phase's deadline
    # Classification and initial response are one phase, watched by one timer: 16:00 WIB, 1 working day.
    [listed] = client.get("/api/v1/admin/instances", headers=staff.headers("admin")).get_json()["items"]
    shown = client.get(f"/api/v1/admin/instances/{listed['id']}", headers=staff.headers("admin")).get_json()
    assert [(t["name"], t["due_at"]) for t in shown["timers"]] == [("Lewat 1 hari kerja", "2026-03-25T09:00:00+00:00")]

    do(client, staff, "tim", "respon_awal", RESPON_AWAL)
    do(client, staff, "analis_bidang", "analisis", ANALISIS_INTERN)
    do(client, staff, "tim", "respon_akhir", RESPON_AKHIR)
    do(client, staff, "kepala_baperlitbang", "laporan_kepala", LAPORAN)
    done = do(client, staff, "tim", "arsip_pengaduan", {**ARSIP, "tanggal_arsip": "2026-03-17"})  # the clock's day

    assert done["instance"]["status"] == "complete"
    tracked = client.get(f"/api/v1/public/track/{code}").get_json()
    assert tracked["status_label"] == "selesai" and tracked["steps"] == []
    assert tracked["outcome"] == "Pengaduan Anda selesai ditanggapi dan diarsipkan"  # its end event's words
    assert [(m["jenis"], m["isi"]) for m in tracked["messages"]] == [
        ("respon_awal", RESPON_AWAL["isi_respon_awal"]), ("respon_akhir", RESPON_AKHIR["isi_respon_akhir"])]
    assert PENGADUAN["email"] not in str(tracked) and PENGADUAN["nama_pelapor"] not in str(tracked)
    outbox = client.get("/api/v1/admin/outbox", headers=staff.headers("admin")).get_json()["items"]
    assert {(m["channel"], m["recipient"]) for m in outbox} == {("email", PENGADUAN["email"])}


def test_a_complaint_needing_other_opds_goes_through_the_liaison(client, staff):
    submit(client, SUBMITTED)
    do(client, staff, "tim", "klasifikasi", KLASIFIKASI)
    do(client, staff, "tim", "respon_awal", RESPON_AWAL)
    do(client, staff, "analis_bidang", "analisis", ANALISIS_LINTAS_OPD)

    assert names(client, staff, "penghubung") == ["koordinasi_lintas_opd"]
    answered_today = [{**answer, "tanggal": "2026-03-17"} for answer in KOORDINASI["jawaban_opd"]]  # the clock's day
    do(client, staff, "penghubung", "koordinasi_lintas_opd", {**KOORDINASI, "jawaban_opd": answered_today})
    assert names(client, staff, "tim") == ["respon_akhir"]


def test_an_anonymous_reporter_is_hidden_from_the_analyst_but_not_from_the_team(client, staff):
    submit(client, {**SUBMITTED, "anonim": True})
    do(client, staff, "tim", "klasifikasi", KLASIFIKASI)
    do(client, staff, "tim", "respon_awal", RESPON_AWAL)
    [task] = client.get("/api/v1/tasks", headers=staff.headers("analis_bidang")).get_json()["items"]

    seen_by_analyst = client.get(f"/api/v1/tasks/{task['id']}", headers=staff.headers("analis_bidang")).get_json()
    assert {seen_by_analyst["data"][k] for k in ("nama_pelapor", "email", "telepon")} == {"(dirahasiakan)"}
    assert seen_by_analyst["data"]["isi"] == PENGADUAN["isi"]
    assert PENGADUAN["email"] not in str(seen_by_analyst["history"])
    staff.add("tim", ("Pejabat Analis", "33.13"))
    seen_by_team = client.get(f"/api/v1/tasks/{task['id']}", headers=staff.headers("tim")).get_json()
    assert seen_by_team["data"]["email"] == PENGADUAN["email"]


def test_a_confidential_complaint_tracks_as_status_only(client, staff):
    code = submit(client, {**SUBMITTED, "rahasia": True})

    assert set(client.get(f"/api/v1/public/track/{code}").get_json()) == {"tracking_code", "status", "status_label"}


def test_a_complaint_form_error_lists_every_field(client):
    answer = client.post("/api/v1/public/processes/pengaduan/instances",
                         json={"data": {**SUBMITTED, "email": "bukan", "isi": "pendek"}})

    assert answer.status_code == 422
    assert {f["field"] for f in answer.get_json()["fields"]} == {"email", "isi"}


def test_an_unclassified_complaint_reaches_the_kepala_when_its_initial_deadline_passes(app, client, staff, clock):
    submit(client, SUBMITTED)  # Tuesday 17 March 2026; nobody classifies it

    clock.set(datetime(2026, 3, 25, 16, 0, tzinfo=WIB))
    with app.app_context():
        worker.run_once()
    assert names(client, staff, "kepala_baperlitbang") == []  # the due moment itself is still on time
    clock.set(datetime(2026, 3, 25, 16, 1, tzinfo=WIB))
    with app.app_context():
        worker.run_once()

    assert names(client, staff, "kepala_baperlitbang") == ["eskalasi_respon_awal"]
    assert names(client, staff, "tim") == ["klasifikasi"]  # the work goes on
    do(client, staff, "kepala_baperlitbang", "eskalasi_respon_awal",
       {"tindakan_eskalasi_respon_awal": "ingatkan_petugas", "arahan_eskalasi_respon_awal": "Klasifikasi hari ini."})
    clock.set(datetime(2026, 3, 26, 9, 0, tzinfo=WIB))
    do(client, staff, "tim", "klasifikasi", KLASIFIKASI)
    with app.app_context():
        worker.run_once()
    assert names(client, staff, "kepala_baperlitbang") == []  # the phase escalates once, not again per step
    assert names(client, staff, "tim") == ["respon_awal"]


def test_tracking_shows_the_moment_received_and_only_the_steps_the_diagram_makes_public(app, client, staff, clock):
    # A complaint received on paper on Tuesday 17 March, entered by the team two days later.
    clock.set(datetime(2026, 3, 19, 10, 0, tzinfo=WIB))
    answer = client.post("/api/v1/processes/pengaduan/instances", headers=staff.headers("tim"),
                         json={"data": {**SUBMITTED, "kanal": "email"}})
    assert answer.status_code == 201, answer.get_json()
    code = answer.get_json()["tracking_code"]
    clock.set(datetime(2026, 3, 25, 16, 1, tzinfo=WIB))  # past the initial deadline: escalated
    with app.app_context():
        worker.run_once()
    assert names(client, staff, "kepala_baperlitbang") == ["eskalasi_respon_awal"]

    tracked = client.get(f"/api/v1/public/track/{code}").get_json()

    assert tracked["submitted_at"] == "2026-03-17T02:00:00+00:00"  # 09:00 WIB, not the moment it was entered
    assert [(s["title"], s["late"]) for s in tracked["steps"]] == [
        ("Laporan Anda sedang dicatat dan dipilah oleh petugas", True)]
    assert "Eskalasi" not in str(tracked) and "klasifikasi" not in str(tracked)
