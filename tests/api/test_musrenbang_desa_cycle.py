"""The 2027 RKPD cycle at the desa level, as the offices live it, over HTTP (SQLite, and PostgreSQL with
ALUR_TEST_DATABASE_URL).

Given three desa of Kecamatan Matesih, each desa's musyawarah (one `forum_musrenbang_desa` instance)
decides its proposals in one batch in January 2026: one rejected with a reason, one returned to its RT,
repaired and accepted at a second musyawarah, one merged into another. The accepted ones go through SIMDA
and wait for MUSRENBANG-CAM. A proposal that reaches its desa after the desa cut-off (2 February) is
carried to the 2028 cycle, and the public tracking page says so.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.procedures import REAL_PROJECT
from tests.api.test_procedures_musrenbang import complete_own, hold_forum, instance_id
from tests.procedures.conftest import WIB
from tests.procedures.test_musrenbang import REVISI_RT, SIMDA, TERIMA_RW, USULAN
from tests.security.conftest import web_session

DESA = {"girilayu": "33.13.05.2002", "gantiwarno": "33.13.05.2001", "karangbangun": "33.13.05.2003"}
PROPOSALS = {  # key: (desa, title)
    "jalan_girilayu": ("girilayu", "Pengerasan jalan usaha tani Desa Girilayu"),
    "gapura_girilayu": ("girilayu", "Gapura batas Dusun Tlogo"),
    "irigasi_gantiwarno": ("gantiwarno", "Rehabilitasi saluran irigasi Dusun Ngemplak"),
    "lampu_gantiwarno": ("gantiwarno", "Lampu jalan Dusun Ngemplak"),
    "sumur_karangbangun": ("karangbangun", "Sumur bor air bersih Desa Karangbangun"),
    "sumur_kedua_karangbangun": ("karangbangun", "Sumur bor air bersih RT 002 Karangbangun"),
}


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def offices(users):
    users.add("warga_matesih", ("Ketua RT", "33.13.05"), ("Ketua RW", "33.13.05"), ("Operator Kecamatan", "33.13.05"))
    for desa, region in DESA.items():
        users.add(f"kades_{desa}", ("Kepala Desa", region))
    users.add("tim_kec", ("Tim Musrenbang Kecamatan", "33.13.05"))
    return users


def propose(client, users, clock, key, when=datetime(2026, 1, 14, 9, 0, tzinfo=WIB), **changes):
    desa, judul = PROPOSALS.get(key, ("gantiwarno", key))
    clock.set(when)
    started = client.post("/api/v1/processes/musrenbang/instances", headers=users.headers("warga_matesih"), json={
        "data": {**USULAN, "wilayah": f"{DESA[desa]}/RW01/RT001", "judul": judul, **changes}})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    rw_met = changes.get("tanggal_musyawarah_rt", TERIMA_RW["tanggal_musyawarah_rw"])  # not before the RT met
    complete_own(client, users, "warga_matesih", body["id"], "verifikasi_rw", None,
                 {**TERIMA_RW, "tanggal_musyawarah_rw": rw_met}, None)
    return body


def musyawarah(client, users, desa, decide, **start):
    return hold_forum(client, users, decide, "tunggu_musyawarah_desa", who=f"kades_{desa}", wilayah=DESA[desa],
                      nama_forum=f"Musrenbang Desa {desa.title()} RKPD 2027", **start)


def admin_view(client, users, code):
    return client.get(f"/api/v1/admin/instances/{instance_id(client, users, code)}",
                      headers=users.headers("admin")).get_json()


def test_given_the_2027_cycle_each_desa_decides_in_one_batch_and_a_late_proposal_goes_to_2028(
        client, offices, clock):
    codes = {key: propose(client, offices, clock, key)["tracking_code"] for key in PROPOSALS}
    tracked = client.get(f"/api/v1/public/track/{codes['jalan_girilayu']}").get_json()
    assert [s["title"] for s in tracked["steps"]] == ["Usulan menunggu musyawarah desa/kelurahan untuk RKPD tahun 2027"]

    clock.set(datetime(2026, 1, 22, 9, 0, tzinfo=WIB))
    # Girilayu: its two proposals, and no other desa's, in one ranked list; one rejected with its reason.
    forum, listed, answer = musyawarah(client, offices, "girilayu", lambda rows: [
        {**rows[0], "skor_prioritas": 88, "peringkat": 1, "keputusan": "terima"},
        {**rows[1], "skor_prioritas": 20, "peringkat": 2, "keputusan": "tolak", "alasan_tolak": "lainnya",
         "keterangan_tolak": "Dibiayai Dana Desa"}])
    assert [r["kode_lacak"] for r in listed] == [codes["jalan_girilayu"], codes["gapura_girilayu"]]
    assert answer.status_code == 200, answer.get_json()
    # Gantiwarno: the lamp proposal goes back to its RT for repair.
    _, listed, answer = musyawarah(client, offices, "gantiwarno", lambda rows: [
        {**rows[0], "skor_prioritas": 90, "peringkat": 1, "keputusan": "terima"},
        {**rows[1], "skor_prioritas": 60, "peringkat": 2, "keputusan": "kembalikan",
         "catatan": "Sebutkan titik lampu dan jumlahnya."}])
    assert answer.status_code == 200, answer.get_json()
    # Karangbangun: the second well is merged into the first.
    _, listed, answer = musyawarah(client, offices, "karangbangun", lambda rows: [
        {**rows[0], "skor_prioritas": 85, "peringkat": 1, "keputusan": "terima"},
        {**rows[1], "skor_prioritas": 50, "peringkat": 2, "keputusan": "gabung",
         "gabung_ke": codes["sumur_karangbangun"]}])
    assert answer.status_code == 200, answer.get_json()

    rejected = admin_view(client, offices, codes["gapura_girilayu"])
    assert rejected["status"] == "complete"
    assert (rejected["data"]["ditolak_di_tingkat"], rejected["data"]["alasan_penolakan"],
            rejected["data"]["keterangan_penolakan"]) == ("desa", "lainnya", "Dibiayai Dana Desa")
    merged = admin_view(client, offices, codes["sumur_kedua_karangbangun"])
    assert (merged["status"], merged["data"]["digabung_di_tingkat"], merged["data"]["digabung_ke"]) == (
        "complete", "desa", codes["sumur_karangbangun"])
    returned = admin_view(client, offices, codes["lampu_gantiwarno"])
    assert [t["name"] for t in returned["tasks"]] == ["perbaikan_usulan_rt"]

    # The RT repairs it, the RW agrees again, and a second musyawarah of Gantiwarno accepts it.
    clock.set(datetime(2026, 1, 26, 19, 0, tzinfo=WIB))
    lamp = returned["id"]
    complete_own(client, offices, "warga_matesih", lamp, "perbaikan_usulan_rt", None,
                 {**REVISI_RT, "judul": PROPOSALS["lampu_gantiwarno"][1]}, None)
    complete_own(client, offices, "warga_matesih", lamp, "verifikasi_rw", None, TERIMA_RW, None)
    clock.set(datetime(2026, 1, 29, 9, 0, tzinfo=WIB))
    _, listed, answer = musyawarah(client, offices, "gantiwarno", lambda rows: [
        {**rows[0], "skor_prioritas": 70, "peringkat": 1, "keputusan": "terima"}], tanggal_forum="2026-01-29")
    assert [r["kode_lacak"] for r in listed] == [codes["lampu_gantiwarno"]]
    assert answer.status_code == 200, answer.get_json()
    assert [(e["tingkat"], e["keputusan"]) for e in admin_view(client, offices, codes["lampu_gantiwarno"])["data"][
        "riwayat_keputusan"]][2:] == [("desa", "kembalikan"), ("rt", "diperbaiki"), ("rw", "terima"), ("desa", "terima")]

    # The accepted ones go through SIMDA and wait for MUSRENBANG-CAM, which lists exactly them.
    accepted = ["jalan_girilayu", "irigasi_gantiwarno", "sumur_karangbangun", "lampu_gantiwarno"]
    clock.set(datetime(2026, 2, 3, 11, 0, tzinfo=WIB))
    for key in accepted:
        complete_own(client, offices, "warga_matesih", instance_id(client, offices, codes[key]), "input_simda", None,
                     SIMDA, None)
    clock.set(datetime(2026, 2, 12, 9, 0, tzinfo=WIB))
    _, listed, _ = hold_forum(client, offices, lambda rows: [])  # opened only: an empty decision is refused
    assert sorted(r["kode_lacak"] for r in listed) == sorted(codes[k] for k in accepted)
    assert [r["skor_prioritas"] for r in listed] == [90, 88, 85, 70]  # ranked by the desa's scores

    # Entered on 9 February, after the desa cut-off: carried to the 2028 cycle, visibly.
    late = propose(client, offices, clock, "Balai warga Dusun Ngemplak", when=datetime(2026, 2, 9, 9, 0, tzinfo=WIB),
                   tanggal_musyawarah_rt="2026-02-07")
    view = admin_view(client, offices, late["tracking_code"])
    assert (view["data"]["tahun_rkpd"], view["data"]["dibawa_dari_tahun"]) == (2028, 2027)
    assert view["data"]["riwayat_keputusan"][-1]["keputusan"] == "dibawa_ke_tahun_berikutnya"
    assert "timer_fired" in [e["kind"] for e in view["events"]]
    tracked = client.get(f"/api/v1/public/track/{late['tracking_code']}").get_json()
    assert [s["title"] for s in tracked["steps"]] == ["Usulan menunggu musyawarah desa/kelurahan untuk RKPD tahun 2028"]
    page = client.get("/lacak", query_string={"kode": late["tracking_code"]}).get_data(as_text=True)
    assert "untuk RKPD tahun 2028" in page


def test_a_forum_takes_the_proposals_columns_from_the_proposals_not_from_the_client(client, offices, clock):
    code = propose(client, offices, clock, "jalan_girilayu")["tracking_code"]
    clock.set(datetime(2026, 1, 22, 9, 0, tzinfo=WIB))
    forum, listed, answer = musyawarah(client, offices, "girilayu", lambda rows: [
        {**rows[0], "judul": "Judul yang diubah", "perkiraan_biaya": 1, "wilayah": "33.13.11.2001/RW01/RT001",
         "skor_prioritas": 80, "peringkat": 1, "keputusan": "terima"}])
    assert answer.status_code == 200, answer.get_json()
    recap = admin_view(client, offices, forum["tracking_code"])["data"]["usulan"]
    assert (recap[0]["judul"], recap[0]["perkiraan_biaya"], recap[0]["wilayah"]) == (
        PROPOSALS["jalan_girilayu"][1], USULAN["perkiraan_biaya"], f"{DESA['girilayu']}/RW01/RT001")
    assert recap[0]["kode_lacak"] == code and recap[0]["skor_prioritas"] == 80  # the decision columns are the forum's


def test_the_forum_document_is_for_its_desa_not_another_and_not_for_anonymous(client, offices, clock):
    propose(client, offices, clock, "jalan_girilayu")
    clock.set(datetime(2026, 1, 22, 9, 0, tzinfo=WIB))
    forum, _, answer = musyawarah(client, offices, "girilayu", lambda rows: [
        {**rows[0], "skor_prioritas": 80, "peringkat": 1, "keputusan": "terima"}])
    assert answer.status_code == 200, answer.get_json()
    holder, other = (web_session(client.application, who)[0] for who in ("kades_girilayu", "kades_gantiwarno"))
    for suffix in ("", ".csv", ".xlsx"):
        assert holder.get(f"/keputusan/{forum['id']}{suffix}").status_code == 200
        assert other.get(f"/keputusan/{forum['id']}{suffix}").status_code == 404  # not told it exists
        anonymous = client.application.test_client().get(f"/keputusan/{forum['id']}{suffix}")
        assert anonymous.status_code == 302 and "/masuk" in anonymous.headers["Location"]
    assert PROPOSALS["jalan_girilayu"][1] in holder.get(f"/keputusan/{forum['id']}.csv").get_data(as_text=True)
