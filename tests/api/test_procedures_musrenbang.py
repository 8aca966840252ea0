"""Musrenbang over HTTP: one proposal climbs from the RT to the regency, each level seeing only its own region."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.procedures import REAL_PROJECT, do, names
from tests.procedures.conftest import WIB
from tests.procedures.test_forum_musrenbang import FORUM, MUSYAWARAH_DESA, PESERTA, PESERTA_DESA
from tests.procedures.test_musrenbang import PROPOSED, STEPS, TERIMA_RW, USULAN

RT = "33.13.05.2001/RW02/RT001"
WHO = {
    "Ketua RW": "rw_02",
    "Kepala Desa": "kades",
    "Operator Kecamatan": "operator_matesih",
    "Tim Musrenbang Kecamatan": "tim_kec",
    "OPD": "opd_pupr",
    "Baperlitbang": "perencana",
}


@pytest.fixture
def project():
    return REAL_PROJECT


@pytest.fixture
def levels(users):
    users.add("rt_001", ("Ketua RT", RT))
    users.add("rt_002", ("Ketua RT", "33.13.05.2001/RW02/RT002"))
    users.add("rw_02", ("Ketua RW", "33.13.05.2001/RW02"))
    users.add("rw_01", ("Ketua RW", "33.13.05.2001/RW01"))
    users.add("kades", ("Kepala Desa", "33.13.05.2001"))
    users.add("operator_matesih", ("Operator Kecamatan", "33.13.05"))
    users.add("operator_jaten", ("Operator Kecamatan", "33.13.11"))
    users.add("tim_kec", ("Tim Musrenbang Kecamatan", "33.13.05"))
    users.add("opd_pupr", ("OPD", "33.13"))
    users.add("perencana", ("Baperlitbang", "33.13"))
    return users


def propose(client, users, who: str = "rt_001"):
    return client.post("/api/v1/processes/musrenbang/instances", json={"data": USULAN}, headers=users.headers(who))


# At these levels a forum decides: (its process, start data, attendance step and data, decision step, who).
FORUMS = {
    "tunggu_musyawarah_desa": ("forum_musrenbang_desa", {**MUSYAWARAH_DESA, "nama_forum": "Musrenbang Desa 2027",
                                                          "wilayah": "33.13.05.2001", "tanggal_forum": "2026-01-26"},
                               "catat_peserta_delegasi", PESERTA_DESA, "putuskan_usulan_desa", "kades"),
    "tunggu_musrenbang_cam": ("forum_musrenbang_cam", FORUM, "catat_peserta_delegasi", PESERTA,
                              "putuskan_usulan_kecamatan", "tim_kec"),
    "tunggu_forgab_opd": ("forum_gabungan_opd", {**FORUM, "nama_forum": "FORGAB-OPD DPUPR 2027", "wilayah": "33.13",
                                                  "opd_tujuan": "dpupr", "tanggal_forum": "2026-03-05"},
                          "catat_peserta_delegasi", {**PESERTA, "delegasi": [
                              {"nama": "Sri Lestari", "unsur": "delegasi kecamatan", "forum_tujuan": "musrenbang_kab"}]},
                          "putuskan_usulan_opd", "opd_pupr"),
    "tunggu_musrenbang_kab": ("forum_musrenbang_kab", {**FORUM, "nama_forum": "MUSRENBANG-KAB 2027", "wilayah": "33.13",
                                                        "tanggal_forum": "2026-04-15"},
                              "catat_peserta_forum", {"peserta": PESERTA["peserta"]}, "tetapkan_usulan_kabupaten",
                              "perencana"),
}


def hold_forum(client, users, rows, level="tunggu_musrenbang_cam", *, who=None, **start_changes):
    """A level's forum over HTTP: schedule it, record attendance, open the decision list, decide."""
    process, start, attendance, present, decision, holder = FORUMS[level]
    who, start = who or holder, {**start, **start_changes}
    started = client.post(f"/api/v1/processes/{process}/instances", json={"data": start}, headers=users.headers(who))
    assert started.status_code == 201, started.get_json()
    do(client, users, who, attendance, present)
    items = client.get("/api/v1/tasks", headers=users.headers(who)).get_json()["items"]
    [task] = [t for t in items if t["name"] == decision]
    listed = client.get(f"/api/v1/tasks/{task['id']}", headers=users.headers(who)).get_json()["data"]["usulan"]
    answer = client.post(f"/api/v1/tasks/{task['id']}/complete",
                         json={"data": {"nomor_berita_acara": "050/07/2026", "usulan": rows(listed)}},
                         headers=users.headers(who))
    return started.get_json(), listed, answer


def test_a_proposal_accepted_at_every_level_reaches_the_rkpd(client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels)
    assert started.status_code == 201, started.get_json()

    for name, lane, form, when in STEPS:
        if name in FORUMS:  # decided in that level's forum, not in anyone's per-proposal task
            clock.set(when)
            _, listed, answer = hold_forum(client, levels, lambda listed: [
                {**listed[0], "skor_prioritas": 87.5, "keputusan": "terima"}], name)
            assert answer.status_code == 200, answer.get_json()
            assert [r["kode_lacak"] for r in listed] == [started.get_json()["tracking_code"]]
            continue
        result = do(client, levels, WHO[lane], name, form, clock, when)

    assert result["instance"]["status"] == "complete"
    detail = client.get(f"/api/v1/admin/instances/{started.get_json()['id']}", headers=levels.headers("admin")).get_json()
    people = [WHO[lane] for name, lane, _, _ in STEPS if name not in FORUMS]
    assert [e["actor"] for e in detail["events"] if e["kind"] == "task_completed"] == people
    received = [e for e in detail["events"] if e["kind"] == "message_delivered"]
    assert [(e["actor"], e["detail"]["name"]) for e in received] == [
        ("kades", "keputusan_musyawarah_desa"), ("tim_kec", "keputusan_musrenbang_cam"), ("opd_pupr", "keputusan_forgab_opd"),
        ("perencana", "keputusan_musrenbang_kab")]
    data = detail["data"]
    assert data["skor_prioritas_kecamatan"] == 87.5 and data["peringkat_kecamatan"] == 1
    assert (data["hasil"], data["nomor_perkada_rkpd"]) == ("masuk_rkpd", "Peraturan Bupati Karanganyar Nomor 45 Tahun 2026")

    # The public reads the outcome in the diagram's words, not only "selesai".
    tracked = client.get(f"/api/v1/public/track/{started.get_json()['tracking_code']}").get_json()
    assert (tracked["status"], tracked["steps"]) == ("complete", [])
    assert tracked["outcome"] == (f"Usulan masuk RKPD tahun {data['tahun_rkpd']}, dimuat dalam "
                                  "Peraturan Bupati Karanganyar Nomor 45 Tahun 2026")


def test_given_a_proposal_rejected_at_the_desa_forum_then_tracking_names_the_level_and_reason(client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels).get_json()
    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    tracked = client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()
    assert tracked["outcome"] is None  # still running: no outcome yet

    _, _, answer = hold_forum(client, levels, lambda listed: [
        {**listed[0], "skor_prioritas": 10, "keputusan": "tolak", "alasan_tolak": "bukan_kewenangan_kabupaten"}],
        "tunggu_musyawarah_desa")
    assert answer.status_code == 200, answer.get_json()

    tracked = client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()
    assert tracked["status"] == "complete"
    assert tracked["outcome"] == ("Usulan tidak dilanjutkan: ditolak di musyawarah desa/kelurahan dengan alasan "
                                  "Bukan kewenangan kabupaten")
    page = client.get(f"/lacak?kode={started['tracking_code']}").get_data(as_text=True)
    assert "ditolak di musyawarah desa/kelurahan dengan alasan Bukan kewenangan kabupaten" in page
    assert "Tidak ada langkah yang sedang menunggu" not in page


DESA = {  # given the 2027 RKPD cycle with three desa in Kecamatan Matesih, and one proposal elsewhere
    "girilayu": ("33.13.05.2002/RW01/RT003", "Pengerasan jalan usaha tani Desa Girilayu", 2027),
    "ngemplak": ("33.13.05.2001/RW02/RT001", "Rehabilitasi saluran irigasi Dusun Ngemplak", 2027),
    "karangbangun": ("33.13.05.2003/RW04/RT002", "Sumur bor air bersih Desa Karangbangun", 2027),
    "jaten": ("33.13.11.2001/RW01/RT001", "Drainase Jaten", 2027),
    "ngemplak_2028": ("33.13.05.2001/RW02/RT002", "Gedung serbaguna Dusun Ngemplak", 2028),
}


def decide_again(client, users, level, rows):
    """The forum's decision task, still waiting after a refusal, sent again with `rows`."""
    who = FORUMS[level][5]
    [task] = [t for t in client.get("/api/v1/tasks", headers=users.headers(who)).get_json()["items"]
              if t["name"] == FORUMS[level][4]]
    return client.post(f"/api/v1/tasks/{task['id']}/complete", headers=users.headers(who),
                       json={"data": {"nomor_berita_acara": "050/07/2026", "usulan": rows}})


def test_given_a_forum_at_any_level_when_a_row_merges_into_a_code_of_no_case_then_422_names_the_row(
        client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels).get_json()
    code = started["tracking_code"]

    for name, lane, form, when in STEPS:
        if name not in FORUMS:
            do(client, levels, WHO[lane], name, form, clock, when)
            continue
        clock.set(when)
        _, listed, ghost = hold_forum(client, levels, lambda listed: [
            {**listed[0], "skor_prioritas": 60, "keputusan": "gabung", "gabung_ke": "ALR-ZZZZZ-ZZZZZ"}], name)
        assert ghost.status_code == 422, (name, ghost.get_json())
        assert ghost.get_json()["fields"] == [
            {"field": "usulan.0.gabung_ke", "message": "baris 1: kode lacak ALR-ZZZZZ-ZZZZZ tidak ditemukan"}]
        itself = decide_again(client, levels, name, [
            {**listed[0], "skor_prioritas": 60, "keputusan": "gabung", "gabung_ke": code.lower()}])
        assert itself.status_code == 422, (name, itself.get_json())
        assert [f["field"] for f in itself.get_json()["fields"]] == ["usulan.0.gabung_ke"]
        detail = client.get(f"/api/v1/admin/instances/{started['id']}", headers=levels.headers("admin")).get_json()
        assert detail["status"] == "waiting" and "hasil" not in detail["data"]  # nothing stored, still waiting
        accepted = decide_again(client, levels, name, [{**listed[0], "skor_prioritas": 60, "keputusan": "terima"}])
        assert accepted.status_code == 200, (name, accepted.get_json())

    detail = client.get(f"/api/v1/admin/instances/{started['id']}", headers=levels.headers("admin")).get_json()
    assert (detail["status"], detail["data"]["hasil"]) == ("complete", "masuk_rkpd")


def test_given_three_desa_of_one_kecamatan_its_forum_decides_them_in_one_ranked_list(client, users, clock):
    users.add("desa_matesih", ("Ketua RT", "33.13.05"), ("Ketua RW", "33.13.05"), ("Kepala Desa", "33.13.05"),
              ("Operator Kecamatan", "33.13.05"))
    users.add("desa_jaten", ("Ketua RT", "33.13.11"), ("Ketua RW", "33.13.11"), ("Kepala Desa", "33.13.11"),
              ("Operator Kecamatan", "33.13.11"))
    users.add("tim_kec", ("Tim Musrenbang Kecamatan", "33.13.05"))
    users.add("opd_pupr", ("OPD", "33.13"))
    codes = {}
    for key, (wilayah, judul, tahun) in DESA.items():
        who = "desa_jaten" if key == "jaten" else "desa_matesih"
        clock.set(datetime(2026, 1, 14, 9, 0, tzinfo=WIB))
        started = client.post("/api/v1/processes/musrenbang/instances", headers=users.headers(who), json={
            "data": {**USULAN, "wilayah": wilayah, "judul": judul, "tahun_rkpd": tahun}})
        assert started.status_code == 201, started.get_json()
        codes[key] = started.get_json()["tracking_code"]
        complete_own(client, users, who, started.get_json()["id"], *STEPS[0])  # the RW meeting
    # Each desa's musyawarah of the 2027 cycle accepts its proposals in January (the 2028 one keeps waiting).
    clock.set(STEPS[1][3])
    for key in ("girilayu", "ngemplak", "karangbangun", "jaten"):
        who = "desa_jaten" if key == "jaten" else "desa_matesih"
        _, _, answer = hold_forum(client, users, lambda listed: [
            {**row, "skor_prioritas": 80, "keputusan": "terima"} for row in listed],
            "tunggu_musyawarah_desa", who=who, wilayah=DESA[key][0].split("/")[0])
        assert answer.status_code == 200, answer.get_json()
    clock.set(STEPS[2][3])  # the day of the SIMDA entry: its date may not lie ahead
    for key in ("girilayu", "ngemplak", "karangbangun", "jaten"):
        who = "desa_jaten" if key == "jaten" else "desa_matesih"
        complete_own(client, users, who, instance_id(client, users, codes[key]), *STEPS[2])  # SIMDA
    assert names(client, users, "tim_kec") == []  # waiting for the forum is nobody's inbox item
    tracked = client.get(f"/api/v1/public/track/{codes['ngemplak']}").get_json()
    assert [s["title"] for s in tracked["steps"]] == ["Tunggu keputusan MUSRENBANG-CAM"]  # what it waits for

    clock.set(datetime(2026, 2, 12, 13, 0, tzinfo=WIB))

    def bad_rank(listed):  # two rows given rank 1, and a proposal of another kecamatan slipped in
        return [{**listed[0], "skor_prioritas": 90, "peringkat": 1, "keputusan": "terima"},
                {**listed[1], "skor_prioritas": 80, "peringkat": 1, "keputusan": "terima"},
                {"kode_lacak": codes["jaten"], "skor_prioritas": 70, "peringkat": 3, "keputusan": "terima"}]

    forum, listed, refused = hold_forum(client, users, bad_rank)
    # The list holds this kecamatan's proposals for this year, in order of arrival, ranked 1..3.
    assert [r["kode_lacak"] for r in listed] == [codes["girilayu"], codes["ngemplak"], codes["karangbangun"]]
    assert [r["peringkat"] for r in listed] == [1, 2, 3]
    assert listed[0]["judul"] == DESA["girilayu"][1] and listed[0]["tahun_rkpd"] == 2027
    assert refused.status_code == 422
    errors = {f["field"]: f["message"] for f in refused.get_json()["fields"]}
    assert set(errors) == {"usulan.1.peringkat", "usulan.2.kode_lacak"}
    assert "baris 2" in errors["usulan.1.peringkat"] and "unik" in errors["usulan.1.peringkat"]
    assert codes["jaten"] in errors["usulan.2.kode_lacak"]

    # A row without its decision's reason names that row and field.
    [task] = [t for t in client.get("/api/v1/tasks", headers=users.headers("tim_kec")).get_json()["items"]]
    no_reason = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=users.headers("tim_kec"), json={"data": {
        "nomor_berita_acara": "050/07/2026", "usulan": [{**listed[0], "skor_prioritas": 50, "keputusan": "tolak"}]}})
    assert no_reason.status_code == 422
    assert [f["field"] for f in no_reason.get_json()["fields"]] == ["usulan.0.alasan_tolak"]

    decided = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=users.headers("tim_kec"), json={"data": {
        "nomor_berita_acara": "050/07/MUSRENBANGCAM-MTS/II/2026",
        "usulan": [
            {**listed[1], "skor_prioritas": 91, "peringkat": 1, "keputusan": "terima"},
            {**listed[0], "skor_prioritas": 40, "peringkat": 3, "keputusan": "gabung", "gabung_ke": codes["ngemplak"]},
            {**listed[2], "skor_prioritas": 75, "peringkat": 2, "keputusan": "kembalikan",
             "catatan": "Lampirkan hasil uji debit air."},
        ]}})
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["instance"]["status"] == "complete"

    def state(key):
        found = client.get("/api/v1/admin/instances", query_string={"q": codes[key]}, headers=users.headers("admin"))
        [item] = [i for i in found.get_json()["items"] if i["tracking_code"] == codes[key]]
        return client.get(f"/api/v1/admin/instances/{item['id']}", headers=users.headers("admin")).get_json()

    assert state("ngemplak")["data"]["peringkat_kecamatan"] == 1
    assert state("ngemplak")["status"] == "waiting" and state("ngemplak")["tasks"] == []  # for FORGAB-OPD
    assert state("girilayu")["status"] == "complete"
    assert state("girilayu")["data"]["digabung_ke"] == codes["ngemplak"]
    # Returned to its desa after the desa cut-off (2 February): it waits for the desa's musyawarah of 2028.
    assert state("karangbangun")["tasks"] == [] and state("karangbangun")["data"]["tahun_rkpd"] == 2028
    # Not this forum's: the other kecamatan and the next year's cycle still wait for theirs.
    for key in ("jaten", "ngemplak_2028"):
        assert state(key)["status"] == "waiting" and state(key)["tasks"] == []
    # Dinas PUPR's forum lists what the kecamatan forums accepted for it: ngemplak, ranked by its kecamatan score.
    clock.set(datetime(2026, 3, 5, 10, 0, tzinfo=WIB))
    _, listed, answer = hold_forum(client, users, lambda listed: [
        {**listed[0], "keputusan": "terima", "pagu_indikatif": 150_000_000}], "tunggu_forgab_opd")
    assert [(r["kode_lacak"], r["skor_prioritas"], r["peringkat"]) for r in listed] == [(codes["ngemplak"], 91, 1)]
    assert answer.status_code == 200, answer.get_json()
    assert state("ngemplak")["data"]["pagu_indikatif"] == 150_000_000


def complete_own(client, users, who, instance, name, _lane, form, when):
    """`who` completes task `name` of one instance (the inbox holds several proposals)."""
    items = client.get("/api/v1/tasks", query_string={"per_page": 200}, headers=users.headers(who))
    [task] = [t for t in items.get_json()["items"] if t["name"] == name and t["instance_id"] == instance]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": form}, headers=users.headers(who))
    assert done.status_code == 200, done.get_json()


def instance_id(client, users, code):
    found = client.get("/api/v1/admin/instances", query_string={"q": code}, headers=users.headers("admin"))
    [item] = [i for i in found.get_json()["items"] if i["tracking_code"] == code]
    return item["id"]


def test_each_level_sees_only_its_own_region(client, levels, clock):
    clock.set(PROPOSED)
    propose(client, levels)

    assert names(client, levels, "rw_02") == ["verifikasi_rw"]
    assert names(client, levels, "rw_01") == []
    [task] = client.get("/api/v1/tasks", headers=levels.headers("rw_02")).get_json()["items"]
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": TERIMA_RW},
                          headers=levels.headers("rw_01"))
    assert refused.status_code == 404

    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": TERIMA_RW},
                        headers=levels.headers("rw_02"))
    assert again.status_code == 409


def test_an_rt_cannot_propose_for_another_rt_and_bad_data_is_422(client, levels, clock):
    clock.set(PROPOSED)
    assert propose(client, levels, "rt_002").status_code == 403
    bad = client.post("/api/v1/processes/musrenbang/instances",
                      json={"data": {**USULAN, "nik_pengusul": "123", "volume": -1}}, headers=levels.headers("rt_001"))
    assert bad.status_code == 422
    assert {"nik_pengusul", "volume"} <= {f["field"] for f in bad.get_json()["fields"]}


def test_a_rejection_without_reason_is_422_with_the_field(client, levels, clock):
    clock.set(PROPOSED)
    propose(client, levels)
    [task] = client.get("/api/v1/tasks", headers=levels.headers("rw_02")).get_json()["items"]

    answer = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"keputusan_rw": "tolak"}},
                         headers=levels.headers("rw_02"))

    assert answer.status_code == 422 and answer.get_json()["fields"]


def test_a_village_merges_a_proposal_into_another_and_it_ends_merged(client, levels, clock):
    clock.set(PROPOSED)
    started = propose(client, levels).get_json()
    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    assert names(client, levels, "kades") == []  # the desa decides in its musyawarah, not per proposal

    target = propose(client, levels, "rt_001").get_json()["tracking_code"]  # the proposal that takes it over
    _, listed, refused = hold_forum(client, levels, lambda listed: [
        {**listed[0], "skor_prioritas": 40, "keputusan": "gabung"}], "tunggu_musyawarah_desa")
    assert refused.status_code == 422
    assert [f["field"] for f in refused.get_json()["fields"]] == ["usulan.0.gabung_ke"]

    [task] = client.get("/api/v1/tasks", headers=levels.headers("kades")).get_json()["items"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=levels.headers("kades"), json={"data": {
        "nomor_berita_acara": "140/03/2026",
        "usulan": [{**listed[0], "skor_prioritas": 40, "keputusan": "gabung", "gabung_ke": target}]}})

    assert done.status_code == 200, done.get_json()
    data = client.get(f"/api/v1/admin/instances/{started['id']}", headers=levels.headers("admin")).get_json()["data"]
    assert (data["hasil"], data["digabung_di_tingkat"], data["digabung_ke"]) == ("digabungkan", "desa", target)
    assert client.get(f"/api/v1/public/track/{started['tracking_code']}").get_json()["outcome"] == (
        f"Usulan digabung di musyawarah desa/kelurahan ke usulan {target}, yang dilanjutkan menggantikannya")
    assert names(client, levels, "operator_matesih") == []


KNOWN_YEARS = "2027, 2028, 2029, 2030, 2031, 2032, 2033, 2034, 2035"  # processes/kalender_musrenbang.json


@pytest.mark.parametrize("year", [2026, 2036])
def test_given_an_rkpd_year_the_calendar_does_not_know_when_a_proposal_or_forum_starts_then_422_names_the_years(
        client, levels, clock, year):
    clock.set(PROPOSED)
    proposal = client.post("/api/v1/processes/musrenbang/instances", headers=levels.headers("rt_001"),
                           json={"data": {**USULAN, "tahun_rkpd": year}})
    process, start, *_, who = FORUMS["tunggu_musrenbang_cam"]
    forum = client.post(f"/api/v1/processes/{process}/instances", headers=levels.headers(who),
                        json={"data": {**start, "tahun_rkpd": year}})

    for answer in (proposal, forum):
        assert answer.status_code == 422
        assert answer.get_json()["fields"] == [
            {"field": "tahun_rkpd", "message": f"{year} tidak ada dalam kalender_musrenbang; yang tersedia: {KNOWN_YEARS}"}]
    listed = client.get("/api/v1/admin/instances", headers=levels.headers("admin")).get_json()["items"]
    assert listed == []  # nothing started, nothing stuck waiting for a forum that never comes


def test_given_a_musrenbang_kab_for_a_year_when_a_second_one_starts_then_409_names_it_until_the_first_is_cancelled(
        client, levels, clock):
    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=WIB))
    process, start, *_ = FORUMS["tunggu_musrenbang_kab"]
    url = f"/api/v1/processes/{process}/instances"
    first = client.post(url, headers=levels.headers("perencana"), json={"data": start})
    assert first.status_code == 201, first.get_json()

    again = client.post(url, headers=levels.headers("perencana"),
                        json={"data": {**start, "nama_forum": "MUSRENBANG-KAB 2027 kedua"}})
    assert again.status_code == 409
    body = again.get_json()
    assert body["code"] == "duplicate_start" and first.get_json()["tracking_code"] in body["message"]
    assert [f["field"] for f in body["fields"]] == ["wilayah", "tahun_rkpd"]
    assert "Tahun RKPD 2027" in body["message"]
    other_year = client.post(url, headers=levels.headers("perencana"), json={"data": {**start, "tahun_rkpd": 2028}})
    assert other_year.status_code == 201, other_year.get_json()

    cancelled = client.post(f"/api/v1/admin/instances/{first.get_json()['id']}/cancel", headers=levels.headers("admin"),
                            json={"reason": "salah jadwal"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert client.post(url, headers=levels.headers("perencana"), json={"data": start}).status_code == 201


def test_given_an_open_musyawarah_desa_when_a_second_of_that_desa_and_year_starts_then_409_until_the_first_finishes(
        client, levels, clock):
    levels.add("kades_girilayu", ("Kepala Desa", "33.13.05.2002"))
    clock.set(PROPOSED)
    proposal = propose(client, levels).get_json()
    do(client, levels, "rw_02", "verifikasi_rw", TERIMA_RW)
    clock.set(datetime(2026, 1, 26, 10, 0, tzinfo=WIB))
    process, start, attendance, present, decision, kades = FORUMS["tunggu_musyawarah_desa"]
    url = f"/api/v1/processes/{process}/instances"
    first = client.post(url, headers=levels.headers(kades), json={"data": start})
    assert first.status_code == 201, first.get_json()
    first = first.get_json()

    again = client.post(url, headers=levels.headers(kades),
                        json={"data": {**start, "nama_forum": "Musrenbang Desa Gantiwarno kedua"}})
    assert again.status_code == 409
    body = again.get_json()
    assert body["code"] == "duplicate_start" and [f["field"] for f in body["fields"]] == ["wilayah", "tahun_rkpd"]
    assert first["tracking_code"] in body["message"] and "masih berjalan" in body["message"]
    assert "Tahun RKPD 2027" in body["message"] and "33.13.05.2001" in body["message"]
    refused = client.get("/api/v1/admin/instances", query_string={"q": "kedua"}, headers=levels.headers("admin"))
    assert refused.get_json()["items"] == []  # the refused start stored no case
    # only the same desa and year are held: another year of this desa, and another desa of this year, start
    other_year = client.post(url, headers=levels.headers(kades), json={"data": {
        **start, "nama_forum": "Musrenbang Desa Gantiwarno RKPD 2028", "tahun_rkpd": 2028}})
    assert other_year.status_code == 201, other_year.get_json()
    other_desa = client.post(url, headers=levels.headers("kades_girilayu"), json={"data": {
        **start, "nama_forum": "Musrenbang Desa Girilayu RKPD 2027", "wilayah": "33.13.05.2002"}})
    assert other_desa.status_code == 201, other_desa.get_json()

    # the first musyawarah decides its proposal and finishes: a susulan one of that desa and year may follow
    complete_own(client, levels, kades, first["id"], attendance, None, present, None)
    items = client.get("/api/v1/tasks", headers=levels.headers(kades)).get_json()["items"]
    [task] = [t for t in items if t["name"] == decision and t["instance_id"] == first["id"]]
    listed = client.get(f"/api/v1/tasks/{task['id']}", headers=levels.headers(kades)).get_json()["data"]["usulan"]
    assert [row["kode_lacak"] for row in listed] == [proposal["tracking_code"]]
    decided = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=levels.headers(kades), json={"data": {
        "nomor_berita_acara": "050/07/2026", "usulan": [{**listed[0], "skor_prioritas": 80, "keputusan": "terima"}]}})
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["instance"]["status"] == "complete"

    susulan = client.post(url, headers=levels.headers(kades),
                          json={"data": {**start, "nama_forum": "Musrenbang Desa Gantiwarno susulan RKPD 2027"}})
    assert susulan.status_code == 201, susulan.get_json()
    # and while the susulan one is open it holds the desa and year in turn
    third = client.post(url, headers=levels.headers(kades), json={"data": start})
    assert third.status_code == 409 and susulan.get_json()["tracking_code"] in third.get_json()["message"]
