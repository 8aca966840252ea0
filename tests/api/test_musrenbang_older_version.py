"""Proposals on the musrenbang version before the desa forum, over HTTP (SQLite, and PostgreSQL with
ALUR_TEST_DATABASE_URL).

Given musrenbang as it was until the musyawarah desa became a forum (`tests/fixtures/musrenbang_verifikasi_desa`:
the desa level is the user task `verifikasi_desa` of the Kepala Desa) deployed as version 1, with one proposal
waiting at that task, one rejected there later, and one already past it, when the current diagram (the receive
task `tunggu_musyawarah_desa`) is deployed as version 2: the migration dry run refuses each of them, naming the
task, and moving them moves none; they finish on version 1, through the forums of today, while a new proposal
starts on version 2 and waits for its desa's musyawarah.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest

from tests.api.procedures import REAL_PROJECT, ROOT
from tests.api.test_procedures_musrenbang import FORUMS, WHO, hold_forum
from tests.procedures.conftest import WIB
from tests.procedures.test_musrenbang import PROPOSED, STEPS, TERIMA_RW, USULAN

OLD = ROOT / "tests" / "fixtures" / "musrenbang_verifikasi_desa"
OLD_TASK = "Rekap dan verifikasi usulan di musyawarah desa/kelurahan"  # the name of verifikasi_desa
TERIMA_DESA = {"keputusan_desa": "terima", "nomor_berita_acara_desa": "BA/DESA/I/2026",
               "tanggal_musyawarah_desa": "2026-01-26"}
TOLAK_DESA = {"keputusan_desa": "tolak", "alasan_tolak_desa": "alamat_salah"}


@pytest.fixture
def project(tmp_path):
    """The real procedures, but musrenbang (and its verifikasi_desa forms) as before the desa forum."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(REAL_PROJECT[0], processes)
    shutil.copytree(REAL_PROJECT[1], forms)
    shutil.copy(OLD / "processes" / "musrenbang.bpmn", processes / "musrenbang.bpmn")
    for form in (OLD / "forms" / "musrenbang").iterdir():
        shutil.copy(form, forms / "musrenbang" / form.name)
    return processes, forms


@pytest.fixture
def levels(users):
    region = "33.13.05.2001"
    users.add("rt_001", ("Ketua RT", f"{region}/RW02/RT001"))  # the same people as in WHO
    users.add("rw_02", ("Ketua RW", f"{region}/RW02"))
    users.add("kades", ("Kepala Desa", region))
    users.add("operator_matesih", ("Operator Kecamatan", "33.13.05"))
    users.add("tim_kec", ("Tim Musrenbang Kecamatan", "33.13.05"))
    users.add("opd_pupr", ("OPD", "33.13"))
    users.add("perencana", ("Baperlitbang", "33.13"))
    users.add("analis_proses", ("Analis Proses", ""))
    return users


def new_proposal(client, users, title):
    """A proposal of RT001 its RW accepted."""
    started = client.post("/api/v1/processes/musrenbang/instances", headers=users.headers("rt_001"),
                          json={"data": {**USULAN, "judul": title}})
    assert started.status_code == 201, started.get_json()
    proposal = started.get_json()
    decide_own(client, users, "rw_02", proposal["id"], "verifikasi_rw", TERIMA_RW)
    return proposal


def decide_own(client, users, who, instance, name, data):
    items = client.get("/api/v1/tasks", query_string={"per_page": 200}, headers=users.headers(who)).get_json()["items"]
    [task] = [t for t in items if t["name"] == name and t["instance_id"] == instance]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=users.headers(who))
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def view(client, users, instance):
    return client.get(f"/api/v1/admin/instances/{instance}", headers=users.headers("admin")).get_json()


def dry_run(client, users):
    answer = client.post("/api/v1/migrations/dry-run", headers=users.headers("analis_proses"),
                         json={"process_id": "musrenbang", "from_version": 1, "to_version": 2})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_proposal_waiting_at_verifikasi_desa_is_not_moved_and_finishes_on_its_version(client, levels, clock):
    clock.set(PROPOSED)
    waiting, rejected, past = (new_proposal(client, levels, title) for title in (
        "Rehabilitasi saluran irigasi Dusun Ngemplak", "Gapura dusun", "Pengerasan jalan lingkungan RT 001"))
    clock.set(datetime(2026, 1, 20, 10, 0, tzinfo=WIB))
    decide_own(client, levels, "kades", past["id"], "verifikasi_desa", TERIMA_DESA)
    assert {view(client, levels, p["id"])["version"] for p in (waiting, rejected, past)} == {1}

    current = (REAL_PROJECT[0] / "musrenbang.bpmn").read_text(encoding="utf-8")
    deployed = client.post("/api/v1/deploy", headers=levels.headers("analis_proses"),
                           json={"files": {"musrenbang.bpmn": current}, "note": "musyawarah desa menjadi forum"})
    assert deployed.status_code == 201, deployed.get_json()

    report = dry_run(client, levels)
    by_id = {item["instance_id"]: item for item in report["results"]}
    assert report["summary"] == {"total": 3, "ok": 0, "not_ok": 3, "refused": 3}
    for proposal in (waiting, rejected):  # the step they wait at is named first
        assert by_id[proposal["id"]]["outcome"] == "refused"
        assert by_id[proposal["id"]]["reasons"][0] == f"langkah yang sedang menunggu '{OLD_TASK}' tidak ada di versi tujuan"
    assert by_id[past["id"]]["outcome"] == "refused"
    assert f"langkah yang sudah dikerjakan '{OLD_TASK}' dihapus di versi tujuan" in by_id[past["id"]]["reasons"]
    moved = client.post("/api/v1/migrations", headers=levels.headers("analis_proses"),
                        json={"process_id": "musrenbang", "from_version": 1, "to_version": 2})
    assert moved.status_code == 200, moved.get_json()
    assert {view(client, levels, p["id"])["version"] for p in (waiting, rejected, past)} == {1}

    # A new proposal takes version 2: after its RW it waits for the desa's musyawarah, in nobody's inbox.
    new = new_proposal(client, levels, "Balai warga RW 02")
    assert view(client, levels, new["id"])["version"] == 2
    assert [t["name"] for t in view(client, levels, new["id"])["tasks"]] == []

    # The old ones go on with version 1's steps: the village head still decides them one by one.
    clock.set(datetime(2026, 1, 26, 10, 0, tzinfo=WIB))
    ended = decide_own(client, levels, "kades", rejected["id"], "verifikasi_desa", TOLAK_DESA)
    assert ended["instance"]["status"] == "complete"
    decide_own(client, levels, "kades", waiting["id"], "verifikasi_desa", TERIMA_DESA)
    for name, lane, form, when in STEPS:
        if name in ("verifikasi_rw", "tunggu_musyawarah_desa"):
            continue
        clock.set(when)
        if name in FORUMS:  # today's forums decide the old version's proposals like the new ones
            _, listed, answer = hold_forum(client, levels, lambda rows: [
                {**row, "skor_prioritas": 80, "peringkat": i, "keputusan": "terima"}
                for i, row in enumerate(rows, start=1)], name)
            assert answer.status_code == 200, answer.get_json()
            assert {r["kode_lacak"] for r in listed} == {waiting["tracking_code"], past["tracking_code"]}
        else:
            for proposal in (waiting, past):
                decide_own(client, levels, WHO[lane], proposal["id"], name, form)

    for proposal, result in ((waiting, "masuk_rkpd"), (past, "masuk_rkpd"), (rejected, "ditolak")):
        detail = view(client, levels, proposal["id"])
        assert (detail["status"], detail["version"], detail["data"]["hasil"]) == ("complete", 1, result)
    assert view(client, levels, rejected["id"])["data"]["ditolak_di_tingkat"] == "desa"
