"""The MUSRENBANG-CAM forum of the 2027 RKPD cycle, as Kecamatan Matesih runs it.

Given three desa of one kecamatan that send their proposals in January 2026, the
kecamatan's forum (one instance of `forum_musrenbang_cam`) meets on 12 February 2026,
records who came and who goes on to the OPD and regency forums, and decides every
waiting proposal of its area and year at once in one ranked list. Each row leaves the
forum as a message that moves exactly the proposal it names (the application's
delivery is played here by `deliver`: same message name, same tracking code).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import FormInvalid

from .conftest import WIB
from .test_musrenbang import STEPS, USULAN, decide

DESA = {  # three desa of Kecamatan Matesih (33.13.05)
    "ALR-2027-A": ("33.13.05.2001/RW02/RT001", "Rehabilitasi saluran irigasi Dusun Ngemplak"),
    "ALR-2027-B": ("33.13.05.2002/RW01/RT003", "Pengerasan jalan usaha tani Desa Girilayu"),
    "ALR-2027-C": ("33.13.05.2003/RW04/RT002", "Sumur bor air bersih Desa Karangbangun"),
}
FORUM = {
    "nama_forum": "MUSRENBANG-CAM Matesih RKPD 2027",
    "tahun_rkpd": 2027,
    "wilayah": "33.13.05",
    "tanggal_forum": "2026-02-12",
    "tempat_forum": "Pendapa Kecamatan Matesih",
}
PESERTA = {
    "peserta": [
        {"nama": "Drs. Sunardi", "unsur": "Camat", "jabatan": "Camat Matesih"},
        {"nama": "Wahyuni", "unsur": "delegasi desa", "jabatan": "Kepala Desa Girilayu"},
        {"nama": "Ir. Bambang", "unsur": "OPD", "jabatan": "Dinas Pekerjaan Umum dan Penataan Ruang"},
    ],
    "delegasi": [
        {"nama": "Sri Lestari", "unsur": "delegasi kecamatan", "forum_tujuan": "forgab_opd"},
        {"nama": "Drs. Sunardi", "unsur": "Camat", "forum_tujuan": "musrenbang_kab"},
    ],
}


def deliver(messages, proposals):
    """What the application does with a forum's messages: each reaches the proposal waiting for it."""
    for message in messages:
        targets = [p for p in proposals
                   if any(w.name == message.name and w.correlation == message.payload[w.correlation_field]
                          for w in p.result.waits)]
        assert len(targets) == 1, message
        targets[0].receive(targets[0].waits_at()[0], message.name, message.payload)


def proposal_at_the_forum(run, code, wilayah, judul):
    inst = run("musrenbang")
    inst.clock.set(datetime(2026, 1, 14, 9, 0, tzinfo=WIB))
    inst.start({**USULAN, "wilayah": wilayah, "judul": judul}, code=code)
    for name, _lane, form, when in STEPS[:3]:
        decide(inst.at(when), name, form)  # the RW, the desa's musyawarah and SIMDA accept it in January
    return inst


def test_given_three_desa_of_one_kecamatan_the_forum_decides_them_all_in_one_ranked_list(run):
    proposals = [proposal_at_the_forum(run, code, *where) for code, where in DESA.items()]
    for inst in proposals:
        assert inst.status == "waiting" and inst.ready == []  # nobody's inbox: the forum decides
        assert inst.waits_at() == ["tunggu_musrenbang_cam"]
        wait = inst.result.waits[0]
        assert (wait.name, wait.correlation_field, wait.correlation) == (
            "keputusan_musrenbang_cam", "kode_lacak", inst.data["kode_lacak"])
        assert wait.fields["tahun_rkpd"] == 2027 and wait.fields["judul"] == inst.data["judul"]

    forum = run("forum_musrenbang_cam")
    forum.clock.set(datetime(2026, 2, 12, 9, 0, tzinfo=WIB))
    forum.start(FORUM, code="ALR-FORUM-CAM-05")
    assert forum.ready == ["catat_peserta_delegasi"]
    assert forum.lane_of("catat_peserta_delegasi") == "Tim Musrenbang Kecamatan"
    forum.complete("catat_peserta_delegasi", PESERTA)
    assert forum.ready == ["putuskan_usulan_kecamatan"]

    forum.at(datetime(2026, 2, 12, 13, 0, tzinfo=WIB)).complete("putuskan_usulan_kecamatan", {
        "nomor_berita_acara": "050/07/MUSRENBANGCAM-MTS/II/2026",
        "usulan": [  # entered in desa order, decided by rank
            {"kode_lacak": "ALR-2027-A", "skor_prioritas": 91, "peringkat": 1, "keputusan": "terima"},
            {"kode_lacak": "ALR-2027-B", "skor_prioritas": 40, "peringkat": 3, "keputusan": "tolak",
             "alasan_tolak": "bukan_kewenangan_kabupaten"},
            {"kode_lacak": "ALR-2027-C", "skor_prioritas": 75.5, "peringkat": 2, "keputusan": "kembalikan",
             "catatan": "Lampirkan hasil uji debit air."},
        ],
    })

    assert forum.status == "complete"
    recap = forum.data["usulan"]
    assert [r["kode_lacak"] for r in recap] == ["ALR-2027-A", "ALR-2027-C", "ALR-2027-B"]  # ranked
    assert (forum.data["jumlah_diterima"], forum.data["jumlah_ditolak"], forum.data["jumlah_dikembalikan"]) == (1, 1, 1)
    assert forum.data["delegasi"][0]["forum_tujuan"] == "forgab_opd"
    sent = forum.sent("keputusan_musrenbang_cam")
    assert [m["kode_lacak"] for m in sent] == ["ALR-2027-A", "ALR-2027-C", "ALR-2027-B"]
    assert all(m["kode_forum"] == "ALR-FORUM-CAM-05" and m["tanggal_forum"] == "2026-02-12" for m in sent)

    deliver(forum.messages, proposals)
    accepted, rejected, returned = proposals
    assert accepted.ready == [] and accepted.waits_at() == ["tunggu_forgab_opd"]  # for Dinas PUPR's forum
    assert accepted.data["skor_prioritas_kecamatan"] == 91 and accepted.data["peringkat_kecamatan"] == 1
    assert accepted.data["nomor_berita_acara_kecamatan"] == "050/07/MUSRENBANGCAM-MTS/II/2026"
    assert accepted.data["riwayat_keputusan"][-1]["forum"] == "ALR-FORUM-CAM-05"
    assert rejected.status == "complete"
    assert (rejected.data["hasil"], rejected.data["ditolak_di_tingkat"], rejected.data["alasan_penolakan"]) == (
        "ditolak", "kecamatan", "bukan_kewenangan_kabupaten")
    # Back to its desa after the desa cut-off (2 February): waiting for the desa's musyawarah of the 2028 cycle.
    assert returned.ready == [] and returned.waits_at() == ["tunggu_musyawarah_desa"]
    assert [(e["tingkat"], e["keputusan"]) for e in returned.data["riwayat_keputusan"][-2:]] == [
        ("kecamatan", "kembalikan"), ("desa", "dibawa_ke_tahun_berikutnya")]
    assert returned.data["riwayat_keputusan"][-2]["catatan"] == "Lampirkan hasil uji debit air."
    assert returned.result.waits[0].fields["tahun_rkpd"] == 2028
    # The 6-month watch goes on for the proposals still open.
    # Still watched: the accepted one by the OPD forum's cut-off (31 March) and, after it, the 6 months.
    assert accepted.result.next_timer == datetime(2026, 3, 31, 16, 0, tzinfo=WIB)
    assert returned.result.next_timer == datetime(2026, 7, 14, 16, 0, tzinfo=WIB)
    assert rejected.result.next_timer is None


def hold(run, process, start, steps, code, when):
    """One forum instance walked through its steps (each a task name and its form)."""
    forum = run(process)
    forum.clock.set(when)
    forum.start(start, code=code)
    for name, form in steps:
        forum.complete(name, form)
    return forum


def test_given_the_kecamatan_accepted_them_the_opd_forums_and_the_regency_forum_carry_them_into_the_rkpd(run):
    proposals = [proposal_at_the_forum(run, code, *where) for code, where in DESA.items()]
    pupr, pertanian = proposals[0], proposals[1]
    kecamatan = hold(run, "forum_musrenbang_cam", FORUM, [("catat_peserta_delegasi", PESERTA), (
        "putuskan_usulan_kecamatan", {"nomor_berita_acara": "050/07/2026", "usulan": [
            {"kode_lacak": "ALR-2027-A", "skor_prioritas": 91, "peringkat": 1, "keputusan": "terima"},
            {"kode_lacak": "ALR-2027-B", "skor_prioritas": 60, "peringkat": 2, "keputusan": "terima"},
        ]})], "ALR-FORUM-CAM-05", datetime(2026, 2, 12, 9, 0, tzinfo=WIB))
    deliver(kecamatan.messages, proposals)
    assert proposals[2].waits_at() == ["tunggu_musrenbang_cam"]  # not listed: waits for the next forum

    # FORGAB-OPD of Dinas PUPR, 5 March: its steps open in the Dinas PUPR unit only.
    opd = run("forum_gabungan_opd")
    opd.clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=WIB))
    opd.start({**FORUM, "nama_forum": "FORGAB-OPD DPUPR RKPD 2027", "opd_tujuan": "dpupr", "wilayah": "33.13",
               "tanggal_forum": "2026-03-05", "tempat_forum": "Ruang rapat Baperlitbang"}, code="ALR-FORUM-OPD-01")
    assert (opd.lane_of("catat_peserta_delegasi"), opd.task("catat_peserta_delegasi").unit) == ("OPD", "dpupr")
    opd.complete("catat_peserta_delegasi", {**PESERTA, "delegasi": [
        {"nama": "Ir. Bambang", "unsur": "OPD", "forum_tujuan": "musrenbang_kab"}]})
    assert opd.task("putuskan_usulan_opd").unit == "dpupr"
    opd.complete("putuskan_usulan_opd", {"nomor_berita_acara": "BA/FORGAB-DPUPR/III/2026", "usulan": [
        {"kode_lacak": "ALR-2027-A", "skor_prioritas": 88, "peringkat": 1, "keputusan": "terima",
         "pagu_indikatif": 145_000_000},
        {"kode_lacak": "ALR-2027-B", "skor_prioritas": 60, "peringkat": 2, "keputusan": "alihkan",
         "opd_tujuan_baru": "dispertan"},
    ]})
    assert opd.data["jumlah_dialihkan"] == 1
    deliver(opd.messages, proposals)
    assert pupr.waits_at() == ["tunggu_musrenbang_kab"] and pupr.data["pagu_indikatif"] == 145_000_000
    # Re-routed: it waits for the Dinas Pertanian's forum, whose list is drawn from opd_tujuan.
    assert pertanian.waits_at() == ["tunggu_forgab_opd"]
    assert pertanian.result.waits[0].fields["opd_tujuan"] == "dispertan"

    pertanian_forum = hold(run, "forum_gabungan_opd", {
        **FORUM, "nama_forum": "FORGAB-OPD Dispertan RKPD 2027", "opd_tujuan": "dispertan", "wilayah": "33.13",
        "tanggal_forum": "2026-03-10", "tempat_forum": "Aula Dispertan"}, [("catat_peserta_delegasi", {
            **PESERTA, "delegasi": [{"nama": "Sri Lestari", "unsur": "OPD", "forum_tujuan": "musrenbang_kab"}]})],
        "ALR-FORUM-OPD-02", datetime(2026, 3, 10, 9, 0, tzinfo=WIB))
    assert pertanian_forum.task("putuskan_usulan_opd").unit == "dispertan"
    pertanian_forum.complete("putuskan_usulan_opd", {"nomor_berita_acara": "BA/FORGAB-DISPERTAN/III/2026", "usulan": [
        {"kode_lacak": "ALR-2027-B", "skor_prioritas": 70, "peringkat": 1, "keputusan": "terima"}]})
    deliver(pertanian_forum.messages, proposals)

    # MUSRENBANG-KAB, 15 April: one regency-wide ranked document.
    kab = hold(run, "forum_musrenbang_kab", {**FORUM, "nama_forum": "MUSRENBANG-KAB RKPD 2027", "wilayah": "33.13",
                                             "tanggal_forum": "2026-04-15", "tempat_forum": "Pendapa Rumah Dinas Bupati"},
               [("catat_peserta_forum", {"peserta": PESERTA["peserta"]})], "ALR-FORUM-KAB-27",
               datetime(2026, 4, 15, 9, 0, tzinfo=WIB))
    assert kab.lane_of("tetapkan_usulan_kabupaten") == "Baperlitbang"
    kab.complete("tetapkan_usulan_kabupaten", {"nomor_berita_acara": "050/0412/BAPERLITBANG/2026", "usulan": [
        {"kode_lacak": "ALR-2027-A", "skor_prioritas": 88, "peringkat": 1, "keputusan": "terima"},
        {"kode_lacak": "ALR-2027-B", "skor_prioritas": 70, "peringkat": 2, "keputusan": "terima"}]})
    deliver(kab.messages, proposals)
    for inst in (pupr, pertanian):
        assert inst.ready == ["catat_perkada_rkpd"] and inst.lane_of("catat_perkada_rkpd") == "Baperlitbang"
        assert inst.data["nomor_dokumen_musrenbang_kab"] == "050/0412/BAPERLITBANG/2026"
        inst.at(datetime(2026, 6, 2, 10, 0, tzinfo=WIB)).complete("catat_perkada_rkpd", {
            "nomor_perkada_rkpd": "Peraturan Bupati Karanganyar Nomor 45 Tahun 2026",
            "tanggal_perkada_rkpd": "2026-05-29"})
        assert (inst.status, inst.data["hasil"], inst.data["rkpd_tepat_waktu"]) == ("complete", "masuk_rkpd", True)
    assert [e["tingkat"] for e in pertanian.data["riwayat_keputusan"]] == [
        "rt", "rw", "desa", "kecamatan", "opd", "opd", "kabupaten", "rkpd"]


def test_given_a_proposal_no_forum_decided_by_the_kecamatan_cut_off_it_is_carried_to_the_2028_cycle(run):
    late = proposal_at_the_forum(run, "ALR-2027-D", "33.13.05.2004/RW01/RT001", "Balai warga Dusun Tegalsari")
    # The 2027 calendar closes MUSRENBANG-CAM on 28 February, a Saturday: the cut-off is Monday 2 March, 16:00.
    late.at(datetime(2026, 3, 2, 16, 0, tzinfo=WIB))
    assert late.fired_timers() == [] and late.result.waits[0].fields["tahun_rkpd"] == 2027
    late.at(datetime(2026, 3, 2, 16, 1, tzinfo=WIB))

    assert late.fired_timers() == ["timer_batas_forum_kecamatan"]
    fired = [e for e in late.events if e.kind == "timer_fired"][0]
    assert fired.detail["title"] == "Batas MUSRENBANG-CAM tahun ini terlewati"  # in the case history
    assert late.waits_at() == ["tunggu_musrenbang_cam"]  # waiting again, for the 2028 cycle's forum
    assert late.result.waits[0].fields["tahun_rkpd"] == 2028
    assert (late.data["tahun_rkpd"], late.data["dibawa_dari_tahun"]) == (2028, 2027)
    carried = late.data["riwayat_keputusan"][-1]
    assert (carried["tingkat"], carried["keputusan"], carried["dari_tahun"], carried["ke_tahun"]) == (
        "kecamatan", "dibawa_ke_tahun_berikutnya", 2027, 2028)
    assert late.result.next_timer == datetime(2026, 7, 14, 16, 0, tzinfo=WIB)  # the 6 months still run

    # A 2027 forum held after all does not list it; the 2028 one (February 2027) does, and decides it.
    forum = hold(run, "forum_musrenbang_cam", {**FORUM, "tahun_rkpd": 2028, "nama_forum": "MUSRENBANG-CAM 2028",
                                               "tanggal_forum": "2027-02-10"},
                 [("catat_peserta_delegasi", PESERTA)], "ALR-FORUM-CAM-05-2028", datetime(2027, 2, 10, 9, 0, tzinfo=WIB))
    forum.complete("putuskan_usulan_kecamatan", {"nomor_berita_acara": "050/03/2027", "usulan": [
        {"kode_lacak": "ALR-2027-D", "skor_prioritas": 77, "peringkat": 1, "keputusan": "terima"}]})
    deliver(forum.messages, [late])
    assert late.waits_at() == ["tunggu_forgab_opd"]  # accepted: on to the OPD forum of the 2028 cycle
    assert late.result.waits[0].fields["skor_prioritas"] == 77
    # By February 2027 its 6 months (from the RT meeting of January 2026) are long past: Baperlitbang was told.
    assert late.ready == ["eskalasi_batas_rkpd"]


MUSYAWARAH_DESA = {
    "nama_forum": "Musrenbang Desa Girilayu RKPD 2027",
    "tahun_rkpd": 2027,
    "wilayah": "33.13.05.2002",
    "tanggal_forum": "2026-01-22",
    "tempat_forum": "Balai Desa Girilayu",
}
PESERTA_DESA = {
    "peserta": [
        {"nama": "Wahyuni", "unsur": "Kepala Desa", "jabatan": "Kepala Desa Girilayu"},
        {"nama": "Suparmi", "unsur": "BPD", "jabatan": "Ketua BPD"},
    ],
    "delegasi": [{"nama": "Wahyuni", "unsur": "Kepala Desa", "forum_tujuan": "musrenbang_cam"}],
}


def proposal_at_the_desa(run, code, judul):
    inst = run("musrenbang")
    inst.clock.set(datetime(2026, 1, 14, 9, 0, tzinfo=WIB))
    inst.start({**USULAN, "wilayah": "33.13.05.2002/RW01/RT003", "judul": judul}, code=code)
    decide(inst.at(STEPS[0][3]), STEPS[0][0], STEPS[0][2])  # the RW meeting accepts it
    return inst


def test_given_a_desa_its_musyawarah_decides_every_waiting_proposal_in_one_ranked_list(run):
    titles = ["Talud Kali Samin", "Posyandu Dusun Tlogo", "Talud Kali Samin (RT 003)", "Lampu jalan desa"]
    proposals = [proposal_at_the_desa(run, f"ALR-DESA-{n}", t) for n, t in enumerate(titles, start=1)]
    for inst in proposals:
        assert inst.ready == [] and inst.waits_at() == ["tunggu_musyawarah_desa"]  # no Kepala Desa task per proposal
        assert inst.result.waits[0].name == "keputusan_musyawarah_desa"
        # Watched by the desa cut-off of the 2027 cycle: 31 January 2026 is a Saturday, so Monday 2 February.
        assert inst.result.next_timer == datetime(2026, 2, 2, 16, 0, tzinfo=WIB)

    forum = hold(run, "forum_musrenbang_desa", MUSYAWARAH_DESA, [("catat_peserta_delegasi", PESERTA_DESA)],
                 "ALR-FORUM-DESA-01", datetime(2026, 1, 22, 9, 0, tzinfo=WIB))
    assert forum.lane_of("putuskan_usulan_desa") == "Kepala Desa"
    rows = [
        {"kode_lacak": "ALR-DESA-1", "skor_prioritas": 90, "peringkat": 1, "keputusan": "terima"},
        {"kode_lacak": "ALR-DESA-2", "skor_prioritas": 30, "peringkat": 4, "keputusan": "tolak",
         "alasan_tolak": "sudah_diusulkan"},
        {"kode_lacak": "ALR-DESA-3", "skor_prioritas": 50, "peringkat": 3, "keputusan": "gabung",
         "gabung_ke": "ALR-DESA-1"},
        {"kode_lacak": "ALR-DESA-4", "skor_prioritas": 60, "peringkat": 2, "keputusan": "kembalikan",
         "catatan": "Sebutkan titik lampu dan jumlahnya."},
    ]
    with pytest.raises(FormInvalid) as refused:  # a merge names the proposal that takes it over
        forum.complete("putuskan_usulan_desa", {"nomor_berita_acara": "BA/01/2026",
                                                "usulan": [{k: v for k, v in rows[2].items() if k != "gabung_ke"}]})
    assert [e.field for e in refused.value.errors] == ["usulan.0.gabung_ke"]
    forum.complete("putuskan_usulan_desa", {"nomor_berita_acara": "140/03/BA-MUSDES/I/2026", "usulan": rows})

    assert [r["kode_lacak"] for r in forum.data["usulan"]] == ["ALR-DESA-1", "ALR-DESA-4", "ALR-DESA-3", "ALR-DESA-2"]
    assert (forum.data["jumlah_diterima"], forum.data["jumlah_ditolak"], forum.data["jumlah_dikembalikan"],
            forum.data["jumlah_digabung"]) == (1, 1, 1, 1)
    deliver(forum.messages, proposals)
    accepted, rejected, merged, returned = proposals
    assert accepted.ready == ["input_simda"]
    assert (accepted.data["skor_prioritas_desa"], accepted.data["peringkat_desa"], accepted.data["forum_desa"]) == (
        90, 1, "ALR-FORUM-DESA-01")
    assert accepted.data["nomor_berita_acara_desa"] == "140/03/BA-MUSDES/I/2026"
    assert (rejected.status, rejected.data["ditolak_di_tingkat"], rejected.data["alasan_penolakan"]) == (
        "complete", "desa", "sudah_diusulkan")
    assert "end_ditolak_desa" in rejected.completed_elements()
    assert (merged.data["hasil"], merged.data["digabung_di_tingkat"], merged.data["digabung_ke"]) == (
        "digabungkan", "desa", "ALR-DESA-1")
    assert "end_digabung_desa" in merged.completed_elements()
    assert returned.ready == ["perbaikan_usulan_rt"] and returned.lane_of("perbaikan_usulan_rt") == "Ketua RT"
    assert returned.data["catatan_desa"] == "Sebutkan titik lampu dan jumlahnya."


def test_given_a_proposal_reaching_the_desa_after_its_cut_off_it_waits_for_the_2028_cycle(run):
    late = run("musrenbang")
    late.clock.set(datetime(2026, 2, 9, 9, 0, tzinfo=WIB))
    late.start({**USULAN, "tanggal_musyawarah_rt": "2026-02-07"}, code="ALR-DESA-LATE")
    late.at(datetime(2026, 2, 10, 19, 0, tzinfo=WIB)).complete(
        "verifikasi_rw", {**STEPS[0][2], "tanggal_musyawarah_rw": "2026-02-10"})  # the RW met after the RT

    assert late.fired_timers() == ["timer_batas_forum_desa"]
    fired = [e for e in late.events if e.kind == "timer_fired"][0]
    assert fired.detail["title"] == "Batas musyawarah desa/kelurahan tahun ini terlewati"  # in the case history
    assert late.waits_at() == ["tunggu_musyawarah_desa"]
    assert late.result.waits[0].fields["tahun_rkpd"] == 2028
    assert (late.data["tahun_rkpd"], late.data["dibawa_dari_tahun"]) == (2028, 2027)
    carried = late.data["riwayat_keputusan"][-1]
    assert (carried["tingkat"], carried["keputusan"], carried["dari_tahun"], carried["ke_tahun"]) == (
        "desa", "dibawa_ke_tahun_berikutnya", 2027, 2028)
