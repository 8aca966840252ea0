"""The demo cases of `make run`: seeded once through the real services, so every demo user's inbox has work.

The cases live in api/seed_data.json (`demo_cases`): process, who starts it, the start data,
the steps to complete in order, and the tasks it must then wait at (`waits_at`) for whom.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from api.auth import principal_of
from api.db import db
from api.models import AuditEvent, Instance, OutboxMessage, PendingTask, User
from api.seed import (
    SEED_FILE,
    DemoCaseError,
    case_codes,
    relative_dates,
    seed_demo,
    seed_demo_cases,
    username_for,
)
from api.services import case_links
from api.services.versions import runtime
from tests.api.procedures import REAL_PROJECT, ROOT

SEED = json.loads(SEED_FILE.read_text(encoding="utf-8"))
ENTRIES = SEED["demo_cases"]
CASES = [c for c in ENTRIES if not c.get("continues")]  # each starts one instance
# Where each case ends: its own entry, or the last entry that continues it (after a forum decided it).
FINAL = {c["id"]: c for c in CASES} | {c["continues"]: c for c in ENTRIES if c.get("continues")}


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def seeded(app):
    with app.app_context():
        seed_demo()
        return seed_demo_cases()


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def inbox_of(client, username: str) -> list[dict]:
    login = client.post("/api/v1/auth/login", json={"username": username, "password": SEED["password"]})
    assert login.status_code == 200, login.get_json()
    answer = client.get("/api/v1/tasks", query_string={"per_page": 200},
                        headers={"Authorization": f"Bearer {login.get_json()['token']}"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_given_an_empty_database_when_the_demo_is_seeded_twice_then_the_cases_are_created_once(app, seeded):
    assert sorted(seeded.created) == sorted(case["id"] for case in CASES)
    assert seeded.message() == f"{len(CASES)} kasus demo dibuat"
    with app.app_context():
        seed_demo()
        again = seed_demo_cases()
        assert again.created == {}
        assert again.message() == f"kasus demo tidak dibuat: basis data sudah berisi {len(CASES)} instance"
        assert count(Instance) == len(CASES)


def test_given_the_seeded_demo_then_each_user_a_case_waits_for_sees_that_task_in_their_inbox(app, client, seeded):
    for case_id, case in FINAL.items():
        for waiting in case["waits_at"]:
            seen = {(t["instance_id"], t["name"]) for t in inbox_of(client, waiting["by"])}
            assert (seeded.created[case_id], waiting["task"]) in seen, (case_id, waiting)


def test_given_the_seeded_demo_then_finished_cases_are_complete_and_have_no_task_left(app, seeded):
    finished = [case_id for case_id, case in FINAL.items() if not case["waits_at"] and not case.get("waits_for")]
    with app.app_context():
        for case_id in finished:
            instance = db.session.get(Instance, seeded.created[case_id])
            assert instance.status == "complete", case_id
            assert not db.session.execute(
                db.select(PendingTask).filter_by(instance_id=instance.id)).first(), case_id


def test_given_the_seeded_demo_then_every_procedure_has_open_and_finished_cases_and_every_lane_user_has_work(
        app, client, seeded):
    with app.app_context():
        lanes = {lane for pid in runtime().process_ids() for lane in runtime().current(pid).version.lanes}
        processes = runtime().process_ids()
    for process_id in processes:
        cases = [FINAL[c["id"]] for c in CASES if c["process_id"] == process_id]
        assert any(c["waits_at"] for c in cases) and any(not c["waits_at"] for c in cases), process_id
    for lane in sorted(lanes):
        assert inbox_of(client, username_for(lane)), f"{username_for(lane)} ({lane}) has an empty inbox"


def test_given_the_seeded_demo_then_the_history_and_outbox_are_what_real_requests_write(app, seeded):
    with app.app_context():
        starts = db.session.execute(db.select(AuditEvent).filter_by(kind="instance_started")).scalars().all()
        assert sorted(e.actor for e in starts) == sorted(case["by"] for case in CASES)
        completed = db.session.execute(db.select(AuditEvent).filter_by(kind="task_completed")).scalars().all()
        assert len(completed) == sum(len(case["steps"]) for case in ENTRIES)
        assert {e.actor for e in completed} == {step["by"] for case in ENTRIES for step in case["steps"]}
        # Replies to reporters wait in the outbox like any complaint's (no SMTP host in tests).
        assert count(OutboxMessage) > 0


def test_given_the_demo_seeded_on_tuesday_17_march_2026_then_a_new_complaint_is_due_the_next_working_day(
        app, client, seeded):
    # 18-24 March 2026 are Nyepi, Idul Fitri and cuti bersama: the next working day is 25 March, due 16:00 WIB.
    [task] = [t for t in inbox_of(client, "tim_pengaduan") if t["instance_id"] == seeded.created["aduan_dokumen_rkpd"]]
    assert task["name"] == "klasifikasi"
    assert task["due_at"] == "2026-03-25T09:00:00+00:00"


def test_given_relative_dates_in_the_seed_data_then_they_count_from_the_seeding_day():
    today = date(2026, 3, 17)
    data = {"tahun_rkpd": "{tahun+1}", "tanggal": "{hari-3}", "waktu": "{hari+6}T09:00:00+08:00",
            "nomor": "BA/RT001/{tahun}", "daftar": ["{hari}"], "jumlah": 3}
    assert relative_dates(data, today) == {
        "tahun_rkpd": 2027, "tanggal": "2026-03-14", "waktu": "2026-03-23T09:00:00+08:00",
        "nomor": "BA/RT001/2026", "daftar": ["2026-03-17"], "jumlah": 3,
    }


def test_given_an_hours_placeholder_then_it_is_that_many_hours_before_the_seeding_on_the_offices_clock():
    moment = datetime(2026, 3, 17, 9, 0, 42, tzinfo=timezone(timedelta(hours=7)))  # 09:00 WIB, seconds dropped
    data = {"diterima_pada": "{jam-3}+07:00", "diregistrasi_pada": "{jam-1}+08:00", "kemarin": "{jam-10}+07:00",
            "sekarang": "{jam}+00:00"}
    assert relative_dates(data, moment.date(), moment) == {
        "diterima_pada": "2026-03-17T06:00:00+07:00", "diregistrasi_pada": "2026-03-17T09:00:00+08:00",
        "kemarin": "2026-03-16T23:00:00+07:00", "sekarang": "2026-03-17T02:00:00+00:00"}


def test_given_the_seeded_demo_then_tracking_shows_each_case_received_when_the_seed_file_says(app, client, seeded):
    # The test clock: Tuesday 17 March 2026, 09:00 WIB (02:00 UTC), the moment of seeding.
    moment = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
    seeding = moment.isoformat()
    with app.app_context():
        codes = {case_id: db.session.get(Instance, instance_id).tracking_code
                 for case_id, instance_id in seeded.created.items()}
    given = {c["id"]: c["data"].get("diterima_pada") or c["data"].get("diregistrasi_pada") for c in CASES
             if c["process_id"] in ("pengaduan", "pengaduan_layanan_dprd", "aspirasi")}
    assert all(given.values()), [case_id for case_id, value in given.items() if not value]
    shown = {}
    for case_id, value in given.items():
        tracked = client.get(f"/api/v1/public/track/{codes[case_id]}").get_json()
        if "submitted_at" not in tracked:  # a confidential report shows its status only
            continue
        expected = datetime.fromisoformat(relative_dates(value, moment.date(), moment)).astimezone(UTC)
        shown[case_id] = tracked["submitted_at"]
        assert tracked["submitted_at"] == expected.isoformat(), case_id
    assert len(shown) >= len(given) - 1
    assert seeding not in shown.values()  # every one received before it was seeded, none at the seeding moment
    assert shown["aduan_lampaui_batas"] == "2026-03-10T03:00:00+00:00"  # a week earlier, 10:00 WIB


def test_given_a_case_its_form_refuses_then_the_seed_stops_naming_the_case_and_field_and_leaves_nothing(
        app, tmp_path):
    broken = json.loads(json.dumps(SEED))
    [case] = [c for c in broken["demo_cases"] if c["id"] == "usulan_talud_kali"]
    case["steps"][0]["data"]["keputusan_rw"] = "setuju"
    bad_file = tmp_path / "seed_data.json"
    bad_file.write_text(json.dumps(broken), encoding="utf-8")
    with app.app_context():
        seed_demo()
        with pytest.raises(DemoCaseError) as refused:
            seed_demo_cases(bad_file)
        assert str(refused.value).startswith("kasus demo 'usulan_talud_kali', langkah 'verifikasi_rw': keputusan_rw")
        # The cases seeded before it are gone too, so the corrected file seeds into an empty database.
        assert count(Instance) == count(PendingTask) == count(AuditEvent) == count(OutboxMessage) == 0
        assert len(seed_demo_cases().created) == len(CASES)


def test_given_a_case_left_waiting_elsewhere_than_the_file_says_then_the_seed_stops_saying_where_it_waits(
        app, tmp_path):
    broken = json.loads(json.dumps(SEED))
    broken["demo_cases"] = [c for c in broken["demo_cases"] if c["id"] == "usulan_jalan_rt001"]
    broken["demo_cases"][0]["waits_at"] = [{"task": "perbaikan_usulan_rt", "by": "ketua_rt"}]
    bad_file = tmp_path / "seed_data.json"
    bad_file.write_text(json.dumps(broken), encoding="utf-8")
    with app.app_context():
        seed_demo()
        with pytest.raises(DemoCaseError, match="menunggu di verifikasi_rw, bukan di perbaikan_usulan_rt"):
            seed_demo_cases(bad_file)
        assert count(Instance) == 0


def test_given_the_seeded_demo_then_a_forum_decided_three_proposals_at_once_and_another_waits_with_the_rest(
        app, client, seeded):
    with app.app_context():
        decided = db.session.get(Instance, seeded.created["forum_musrenbang_cam_matesih"])
        assert decided.status == "complete"
        delivered = db.session.execute(db.select(AuditEvent).filter_by(
            instance_id=decided.id, kind="message_delivered")).scalars().all()
        codes = {db.session.get(Instance, seeded.created[c]).tracking_code
                 for c in ("usulan_jalan_poros_rkpd", "usulan_air_bersih", "usulan_posyandu")}
        assert {e.detail["to"] for e in delivered} == codes
        waiting = db.session.get(Instance, seeded.created["usulan_pju_surya"])
    # The proposal the first forum did not list waits for the next one: its batch list opens with it.
    [task] = [t for t in inbox_of(client, "tim_musrenbang_kecamatan") if t["name"] == "putuskan_usulan_kecamatan"]
    login = client.post("/api/v1/auth/login", json={"username": "tim_musrenbang_kecamatan",
                                                     "password": SEED["password"]}).get_json()
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers={"Authorization": f"Bearer {login['token']}"})
    rows = detail.get_json()["data"]["usulan"]
    assert [(r["kode_lacak"], r["peringkat"]) for r in rows] == [(waiting.tracking_code, 1)]


def test_no_procedure_name_appears_in_the_python_code_of_api_or_engine():
    procedures = sorted(path.stem for path in (ROOT / "processes").glob("*.bpmn"))
    assert procedures, "no diagrams found"
    pattern = re.compile("|".join(map(re.escape, procedures)), re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for folder in ("api", "engine") for path in sorted((ROOT / folder).rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []



def test_given_the_seeded_demo_then_a_complaint_names_the_case_it_is_about_and_both_show_it(app, client, seeded):
    with app.app_context():
        admin = principal_of(db.session.execute(db.select(User).filter_by(username="admin")).scalar_one())
        ketua_rt = principal_of(db.session.execute(db.select(User).filter_by(username="ketua_rt")).scalar_one())
        for complaint, about in (("aduan_data_sipd", "usulan_pju_surya"),
                                 ("aduan_layanan_aspirasi_pupuk", "demo_pupuk_petani")):
            links = case_links.links_of(db.session.get(Instance, seeded.created[complaint]), admin)
            assert [link["instance_id"] for link in links["about"]] == [seeded.created[about]]
            back = case_links.links_of(db.session.get(Instance, seeded.created[about]), admin)
            assert [link["instance_id"] for link in back["named_by"]] == [seeded.created[complaint]]
        # The proposal's Ketua RT holds no lane of the complaints: the complaint about the proposal is not theirs.
        proposal = db.session.get(Instance, seeded.created["usulan_pju_surya"])
        assert case_links.links_of(proposal, ketua_rt)["named_by"] == []


def test_given_the_seeded_demo_then_a_unit_users_recap_lists_only_the_cases_routed_to_its_unit(app, client, seeded):
    def recap(username: str, query: str) -> list[str]:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/masuk").get_data(as_text=True)).group(1)
        signed_in = client.post("/masuk", data={"username": username, "password": SEED["password"],
                                                "csrf_token": token})
        assert signed_in.status_code == 302
        answer = client.get(f"/rekap.csv?{query}")
        assert answer.status_code == 200
        return [row[0] for row in csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")))][1:]

    with app.app_context():
        code = {key: db.session.get(Instance, seeded.created[key]).tracking_code
                for key in ("forum_gabungan_opd_dinkes", "demo_pupuk_petani")}
    proposers = "proses=musrenbang&langkah=verifikasi_rw&pilih=1&kolom=nama_pengusul&kolom=nik_pengusul" \
                "&kolom=telepon_pengusul&kolom=opd_tujuan"
    aspirations = "proses=aspirasi&langkah=persetujuan_sekretaris&pilih=1"
    # No step of a proposal is routed to an OPD: Dinkes reads no proposer's NIK or phone, only its own forum.
    assert recap("opd_dinkes", proposers) == []
    assert recap("opd_dinkes", "proses=forum_gabungan_opd&pilih=1") == [code["forum_gabungan_opd_dinkes"]]
    # Of the eight aspirations, Komisi II reads the one disposed to it, Komisi I none; the report viewer all.
    assert recap("komisi_2", aspirations) == [code["demo_pupuk_petani"]]
    assert recap("komisi_1", aspirations) == []
    assert len(recap("pemantau", aspirations)) == 8


def test_given_the_seeded_demo_then_a_disposition_to_two_organs_waits_as_two_tasks(app, seeded):
    with app.app_context():
        rows = db.session.execute(db.select(PendingTask).filter_by(
            instance_id=seeded.created["demo_pupuk_petani"])).scalars().all()
        assert sorted(r.name for r in rows) == ["terima_disposisi", "terima_disposisi"]


def test_given_a_code_placeholder_then_it_is_the_tracking_code_of_the_case_seeded_before():
    codes = {"usulan_pju_surya": "ALR-7K2QD-M9X4P"}
    assert case_codes({"kode": "{kode_lacak:usulan_pju_surya}", "n": 3}, codes, "aduan") == {
        "kode": "ALR-7K2QD-M9X4P", "n": 3}
    with pytest.raises(DemoCaseError, match="kasus demo 'belum_ada' belum dibuat sebelum kasus ini"):
        case_codes(["{kode_lacak:belum_ada}"], codes, "aduan")


def test_given_the_seeded_demo_then_the_organization_units_and_unit_grants_exist(app, client, seeded):
    """The unit codes the diagrams route to are seeded, and demo users hold them, so routing shows in `make run`."""
    from api.models import Role, Unit

    with app.app_context():
        codes = set(db.session.execute(db.select(Unit.code)).scalars())
        roles = set(db.session.execute(db.select(Role.name)).scalars())
    assert {"dpupr", "dinkes", "baperlitbang", "baperlitbang_infrastruktur", "setwan_tanbu", "dprd_tanbu",
            "komisi_1", "fraksi", "pimpinan"} <= codes
    assert {"Admin", "Pemantau", "Analis Proses", "OPD", "Alat Kelengkapan DPRD"} <= roles

    def grants(username: str) -> list[dict]:
        login = client.post("/api/v1/auth/login", json={"username": username, "password": SEED["password"]})
        return login.get_json()["user"]["roles"]

    assert grants("opd_dpupr") == [{"role": "OPD", "region_prefix": "33.13", "units": ["dpupr"]}]
    assert grants("komisi_1") == [{"role": "Alat Kelengkapan DPRD", "region_prefix": "63.10", "units": ["komisi_1"]}]
    assert grants("analis_baperlitbang")[0]["units"] == [
        "baperlitbang", "baperlitbang_ekonomi", "baperlitbang_infrastruktur", "baperlitbang_litbang",
        "baperlitbang_sekretariat", "baperlitbang_sosbud"]
    assert grants("opd") == [{"role": "OPD", "region_prefix": "33.13"}]  # the lane's demo user: every OPD
