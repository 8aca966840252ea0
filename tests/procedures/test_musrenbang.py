"""Musrenbang (Baperlitbang Kabupaten Karanganyar): one resident's proposal from the
RT meeting to the RKPD, as the service standard describes it.

Path: Ketua RT -> musyawarah RW -> musyawarah desa/kelurahan (a forum) -> SIMDA Integrasi
(operator kecamatan) -> MUSRENBANG-CAM -> FORGAB-OPD -> MUSRENBANG-KAB (Baperlitbang).
At every level the proposal can be accepted, rejected with a reason, or returned to
the level below; 6 months after the RT proposal Baperlitbang gets an escalation.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import FormInvalid, WrongLane

from .conftest import WIB

USULAN = {
    "tahun_rkpd": 2027,
    "tanggal_musyawarah_rt": "2026-01-14",
    "nomor_berita_acara_rt": "BA/RT001-RW02/I/2026",
    "nik_pengusul": "3313051203800001",
    "nama_pengusul": "Sutarno",
    "alamat_pengusul": "Dusun Ngemplak RT 001 RW 002, Kecamatan Matesih",
    "telepon_pengusul": "081234567890",
    "judul": "Rehabilitasi saluran irigasi Dusun Ngemplak",
    "permasalahan": "Saluran irigasi tersier rusak sepanjang 300 meter; sawah kekurangan air di musim kemarau.",
    "bidang_urusan": "pekerjaan_umum_penataan_ruang",
    "opd_tujuan": "dpupr",
    "wilayah": "33.13.05.2001/RW02/RT001",
    "alamat_lokasi": "Bulak sawah timur Dusun Ngemplak",
    "koordinat": "-7.6642, 111.1164",
    "volume": 300,
    "satuan": "meter",
    "perkiraan_biaya": 150_000_000,
    "penerima_manfaat": 240,
    "urgensi": "tinggi",
    "lampiran": ["https://arsip.example/usulan/saluran-ngemplak-1.jpg", "BA-RT001-RW02-2026.pdf"],
}
TERIMA_RW = {"keputusan_rw": "terima", "nomor_berita_acara_rw": "BA/RW02/I/2026", "tanggal_musyawarah_rw": "2026-01-14"}
# The row of the musyawarah desa/kelurahan (forum_musrenbang_desa) for this proposal, as its message carries it.
TERIMA_DESA = {
    "keputusan": "terima",
    "skor_prioritas": 82,
    "peringkat": 1,
    "nomor_berita_acara": "BA/DESA/I/2026",
    "tanggal_forum": "2026-01-26",
    "kode_forum": "ALR-FORUM-0000",
}
SIMDA = {"nomor_simda": "SIMDA-2027-331305-0042", "tanggal_input_simda": "2026-02-03"}
# The MUSRENBANG-CAM forum's row for this proposal, as its decision message carries it.
TERIMA_KECAMATAN = {
    "keputusan": "terima",
    "skor_prioritas": 87.5,
    "peringkat": 3,
    "nomor_berita_acara": "BA/MUSRENBANGCAM/II/2026",
    "tanggal_forum": "2026-02-12",
    "kode_forum": "ALR-FORUM-0001",
}
FORUM_MESSAGES = {
    "tunggu_musyawarah_desa": "keputusan_musyawarah_desa",
    "tunggu_musrenbang_cam": "keputusan_musrenbang_cam",
    "tunggu_forgab_opd": "keputusan_forgab_opd",
    "tunggu_musrenbang_kab": "keputusan_musrenbang_kab",
}
FORUM_LEVELS = {"desa", "kecamatan", "opd", "kabupaten"}
TERIMA_OPD = {  # the row of the FORGAB-OPD of Dinas PUPR
    "keputusan": "terima",
    "skor_prioritas": 80,
    "peringkat": 2,
    "pagu_indikatif": 145_000_000,
    "nomor_berita_acara": "BA/FORGAB-DPUPR/III/2026",
    "tanggal_forum": "2026-03-05",
    "kode_forum": "ALR-FORUM-0002",
}
TERIMA_KABUPATEN = {  # the row of the MUSRENBANG-KAB results document
    "keputusan": "terima",
    "skor_prioritas": 78,
    "peringkat": 12,
    "nomor_berita_acara": "050/0412/BAPERLITBANG/2026",
    "tanggal_forum": "2026-04-15",
    "kode_forum": "ALR-FORUM-0003",
}
PERKADA = {"nomor_perkada_rkpd": "Peraturan Bupati Karanganyar Nomor 45 Tahun 2026", "tanggal_perkada_rkpd": "2026-05-29"}

# The calendar of a typical year: desa in January, kecamatan in February, the OPD forum
# in February-March, the regency forum in March-April.
PROPOSED = datetime(2026, 1, 14, 9, 0, tzinfo=WIB)  # Wednesday
STEPS = [
    ("verifikasi_rw", "Ketua RW", TERIMA_RW, datetime(2026, 1, 16, 19, 30, tzinfo=WIB)),
    ("tunggu_musyawarah_desa", None, TERIMA_DESA, datetime(2026, 1, 26, 10, 0, tzinfo=WIB)),
    ("input_simda", "Operator Kecamatan", SIMDA, datetime(2026, 2, 3, 11, 0, tzinfo=WIB)),
    ("tunggu_musrenbang_cam", None, TERIMA_KECAMATAN, datetime(2026, 2, 12, 13, 0, tzinfo=WIB)),
    ("tunggu_forgab_opd", None, TERIMA_OPD, datetime(2026, 3, 5, 10, 0, tzinfo=WIB)),
    ("tunggu_musrenbang_kab", None, TERIMA_KABUPATEN, datetime(2026, 4, 15, 10, 0, tzinfo=WIB)),
    ("catat_perkada_rkpd", "Baperlitbang", PERKADA, datetime(2026, 6, 2, 10, 0, tzinfo=WIB)),
]
PATH = [name for name, _, _, _ in STEPS]


def propose(run, data=None):
    inst = run("musrenbang")
    inst.clock.set(PROPOSED)
    return inst.start(dict(data or USULAN), code="ALR-33130-00400")


def decide(inst, name, form):
    """A level's decision: a person's task, or the forum's message for a proposal waiting for its forum."""
    if name in FORUM_MESSAGES:
        return inst.receive(name, FORUM_MESSAGES[name], {"kode_lacak": inst.data["kode_lacak"], **form})
    return inst.complete(name, form)


def level_form(level, **answers):
    """A level's decision form: `keputusan_<level>`, `alasan_tolak_<level>`, ... for a person's task,
    or the forum row (`keputusan`, `alasan_tolak`, ...) at a level decided in a forum."""
    if level in FORUM_LEVELS:
        return answers
    return {f"{key}_{level}": value for key, value in answers.items()}


def at_step(inst):
    """Where the proposal stands: the ready tasks and the forum waits."""
    return sorted(inst.ready + inst.waits_at())


def accept_until(inst, stop_before):
    """Accept at every level up to (not including) the step `stop_before`."""
    for name, lane, form, when in STEPS:
        if name == stop_before:
            return inst
        inst.at(when)
        if lane is None:
            assert inst.waits_at() == [name]
        else:
            assert inst.lane_of(name) == lane
        decide(inst, name, form)
    return inst


def levels(inst):
    return [(e["tingkat"], e["keputusan"]) for e in inst.data["riwayat_keputusan"]]


def test_a_proposal_accepted_at_every_level_is_recorded_as_rkpd_material_within_six_months(run):
    inst = propose(run)

    # The RT meeting of Wednesday 14 January starts the 6-month clock: due at the end of the office day,
    # Tuesday 14 July 2026.
    assert inst.data["diusulkan_pada"] == "2026-01-14T09:00:00+07:00"
    assert inst.data["batas_rkpd"] == "2026-07-14T16:00:00+07:00"
    assert inst.result.next_timer == datetime(2026, 7, 14, 9, 0, tzinfo=UTC)
    assert inst.ready == ["verifikasi_rw"]
    assert inst.lane_of("verifikasi_rw") == "Ketua RW"

    accept_until(inst, stop_before=None)

    assert inst.done == PATH
    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.fired_timers() == []
    assert inst.result.next_timer is None  # the 6-month watch ends with the proposal
    assert "end_masuk_rkpd" in inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "masuk_rkpd"
    assert data["masuk_rkpd_pada"] == "2026-06-02T10:00:00+07:00"
    assert data["nomor_perkada_rkpd"] == "Peraturan Bupati Karanganyar Nomor 45 Tahun 2026"
    assert data["tanggal_perkada_rkpd"] == "2026-05-29"
    assert data["rkpd_tepat_waktu"] is True
    assert data["nomor_simda"] == "SIMDA-2027-331305-0042"
    assert data["skor_prioritas_kecamatan"] == 87.5
    assert data["peringkat_kecamatan"] == 3
    assert data["nomor_dokumen_musrenbang_kab"] == "050/0412/BAPERLITBANG/2026"
    assert data["opd_tujuan"] == data["opd_tujuan_awal"] == "dpupr"
    assert (data["skor_prioritas_opd"], data["peringkat_opd"], data["pagu_indikatif"]) == (80, 2, 145_000_000)
    assert data["peringkat_kabupaten"] == 12 and data["tanggal_dokumen_musrenbang_kab"] == "2026-04-15"
    assert (data["forum_kecamatan"], data["forum_opd"], data["forum_kabupaten"]) == (
        "ALR-FORUM-0001", "ALR-FORUM-0002", "ALR-FORUM-0003")
    assert data["peringatan_kependudukan"] is None  # a Karanganyar NIK
    assert "ditolak_di_tingkat" not in data
    assert levels(inst) == [
        ("rt", "diusulkan"),
        ("rw", "terima"),
        ("desa", "terima"),
        ("kecamatan", "terima"),
        ("opd", "terima"),
        ("kabupaten", "terima"),
        ("rkpd", "masuk_rkpd"),
    ]
    history = data["riwayat_keputusan"]
    assert history[0]["tanggal_musyawarah"] == "2026-01-14"
    assert history[3]["skor_prioritas"] == 87.5 and history[3]["peringkat"] == 3
    assert history[5]["nomor_dokumen"] == "050/0412/BAPERLITBANG/2026" and history[5]["peringkat"] == 12
    assert history[6]["nomor_perkada"] == PERKADA["nomor_perkada_rkpd"]
    assert history[1]["waktu"] == "2026-01-16T19:30:00+07:00"


def test_the_six_months_count_from_the_rt_meeting_not_from_data_entry_and_end_on_a_working_day(run):
    # The RT met on Saturday 17 January; the chair entered it on Wednesday 21 January. Six months later is
    # Friday 17 July 2026... the Saturday 18 July case: a meeting on Sunday 18 January ends on Monday 20 July.
    inst = run("musrenbang")
    inst.clock.set(datetime(2026, 1, 21, 9, 0, tzinfo=WIB))
    inst.start({**USULAN, "tanggal_musyawarah_rt": "2026-01-18"}, code="ALR-33130-00401")
    assert inst.data["diusulkan_pada"] == "2026-01-21T09:00:00+07:00"
    assert inst.data["batas_rkpd"] == "2026-07-20T16:00:00+07:00"  # 18 July is a Saturday
    assert inst.result.next_timer == datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
    with pytest.raises(FormInvalid) as refused:
        inst.start({k: v for k, v in USULAN.items() if k != "tanggal_musyawarah_rt"}, code="ALR-33130-00402")
    assert [e.field for e in refused.value.errors] == ["tanggal_musyawarah_rt"]


def test_a_proposer_with_a_nik_from_elsewhere_is_accepted_with_a_warning_for_the_verifiers(run):
    # A NIK never changes when a person moves: a resident born in Surakarta keeps a 3372 NIK.
    inst = propose(run, {**USULAN, "nik_pengusul": "3372011203800001"})
    assert inst.ready == ["verifikasi_rw"]
    assert "3313" in inst.data["peringatan_kependudukan"]
    assert inst.result.waits == [] and inst.status == "running"
    accept_until(inst, stop_before="tunggu_musrenbang_cam")
    # The forum sees the warning beside the proposal it decides on.
    assert inst.result.waits[0].fields["peringatan_kependudukan"] == inst.data["peringatan_kependudukan"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"wilayah": "33.72.01.1001/RW01/RT001"}, "wilayah"),  # a Surakarta address
        ({"wilayah": "33.13.05.2001"}, "wilayah"),  # not down to RT
    ],
)
def test_a_location_outside_karanganyar_is_refused_when_the_rt_records_it(run, change, field):
    with pytest.raises(FormInvalid) as refused:
        propose(run, {**USULAN, **change})
    errors = {e.field: e.message for e in refused.value.errors}
    assert list(errors) == [field]
    assert "Karanganyar" in errors[field]


LAINNYA = {"alasan": "lainnya", "keterangan": "Lokasi masuk rencana jalan tol"}


@pytest.mark.parametrize(
    ("task", "lane", "level", "reason"),
    [
        ("verifikasi_rw", "Ketua RW", "rw", {"alasan": "duplikat"}),
        ("tunggu_musyawarah_desa", None, "desa", {"alasan": "alamat_salah"}),
        ("tunggu_musrenbang_cam", None, "kecamatan", {"alasan": "sudah_diusulkan"}),
        ("tunggu_forgab_opd", None, "opd", {"alasan": "bukan_kewenangan_kabupaten"}),
        ("tunggu_musrenbang_kab", None, "kabupaten", LAINNYA),
    ],
)
def test_a_proposal_rejected_at_a_level_ends_with_that_level_and_reason(run, task, lane, level, reason):
    inst = accept_until(propose(run), stop_before=task)
    assert at_step(inst) == [task]
    if lane is not None:
        assert inst.lane_of(task) == lane
    answers = {"keputusan": "tolak", "alasan_tolak": reason["alasan"]}
    if "keterangan" in reason:
        answers["keterangan_tolak"] = reason["keterangan"]
    form = level_form(level, **answers)

    decide(inst.at(datetime(2026, 4, 20, 10, 0, tzinfo=WIB)), task, form)

    assert inst.status == "complete"
    assert inst.ready == []
    assert f"end_ditolak_{level}" in inst.completed_elements()
    assert "end_masuk_rkpd" not in inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "ditolak"
    assert data["ditolak_di_tingkat"] == level
    assert data["alasan_penolakan"] == reason["alasan"]
    assert data["keterangan_penolakan"] == reason.get("keterangan")
    assert data["ditolak_pada"] == "2026-04-20T10:00:00+07:00"
    last = data["riwayat_keputusan"][-1]
    assert (last["tingkat"], last["keputusan"], last["alasan"]) == (level, "tolak", reason["alasan"])
    assert inst.result.next_timer is None


def test_a_rejection_needs_a_reason_and_other_needs_an_explanation(run):
    inst = propose(run)
    with pytest.raises(FormInvalid) as refused:
        inst.complete("verifikasi_rw", {"keputusan_rw": "tolak"})
    assert [e.field for e in refused.value.errors] == ["alasan_tolak_rw"]
    with pytest.raises(FormInvalid) as refused:
        inst.complete("verifikasi_rw", {"keputusan_rw": "tolak", "alasan_tolak_rw": "lainnya"})
    assert [e.field for e in refused.value.errors] == ["keterangan_tolak_rw"]
    with pytest.raises(FormInvalid) as refused:
        inst.complete("verifikasi_rw", {"keputusan_rw": "kembalikan"})
    assert [e.field for e in refused.value.errors] == ["catatan_rw"]
    assert inst.ready == ["verifikasi_rw"]  # nothing moved


def test_only_the_ketua_rw_decides_at_rw_level(run):
    inst = propose(run)
    with pytest.raises(WrongLane):
        inst.complete("verifikasi_rw", TERIMA_RW, lane="Ketua RT")


def test_the_desa_musyawarah_returns_a_proposal_to_the_rt_whose_repair_goes_through_the_rw_again(run):
    inst = accept_until(propose(run), stop_before="tunggu_musyawarah_desa")
    decide(inst.at(datetime(2026, 1, 26, 10, 0, tzinfo=WIB)), "tunggu_musyawarah_desa",
           {"keputusan": "kembalikan", "catatan": "Volume belum sesuai hasil pengukuran RW."})

    # Back at the RT, nothing lost; the RT reads the desa's note.
    assert inst.status == "running"
    assert inst.ready == ["perbaikan_usulan_rt"]
    assert inst.lane_of("perbaikan_usulan_rt") == "Ketua RT"
    assert inst.data["judul"] == USULAN["judul"]
    assert inst.data["catatan_desa"] == "Volume belum sesuai hasil pengukuran RW."

    inst.at(datetime(2026, 1, 27, 19, 0, tzinfo=WIB)).complete("perbaikan_usulan_rt", REVISI_RT)
    # The repaired proposal goes through the RW meeting again.
    assert inst.ready == ["verifikasi_rw"]
    assert inst.lane_of("verifikasi_rw") == "Ketua RW"
    inst.at(datetime(2026, 1, 28, 19, 0, tzinfo=WIB)).complete(
        "verifikasi_rw", {"keputusan_rw": "terima", "nomor_berita_acara_rw": "BA/RW02/I/2026-2"}
    )
    assert inst.ready == [] and inst.waits_at() == ["tunggu_musyawarah_desa"]
    decide(inst.at(datetime(2026, 1, 30, 10, 0, tzinfo=WIB)), "tunggu_musyawarah_desa", TERIMA_DESA)
    accept_until_end_from(inst, "input_simda")

    assert inst.done == [
        "verifikasi_rw",
        "tunggu_musyawarah_desa",
        "perbaikan_usulan_rt",
        "verifikasi_rw",
        "tunggu_musyawarah_desa",
        "input_simda",
        "tunggu_musrenbang_cam",
        "tunggu_forgab_opd",
        "tunggu_musrenbang_kab",
        "catat_perkada_rkpd",
    ]
    assert inst.data["hasil"] == "masuk_rkpd"
    assert inst.data["volume"] == REVISI_RT["volume"]
    assert levels(inst) == [
        ("rt", "diusulkan"),
        ("rw", "terima"),
        ("desa", "kembalikan"),
        ("rt", "diperbaiki"),
        ("rw", "terima"),
        ("desa", "terima"),
        ("kecamatan", "terima"),
        ("opd", "terima"),
        ("kabupaten", "terima"),
        ("rkpd", "masuk_rkpd"),
    ]
    returned = inst.data["riwayat_keputusan"][2]
    assert returned["catatan"] == "Volume belum sesuai hasil pengukuran RW."
    assert returned["waktu"] == "2026-01-26T10:00:00+07:00"


def accept_until_end_from(inst, first):
    started = False
    for name, _lane, form, when in STEPS:
        started = started or name == first
        if started:
            decide(inst.at(when), name, form)


def test_the_rw_returns_a_proposal_to_the_rt_which_corrects_it(run):
    inst = propose(run)
    inst.complete("verifikasi_rw", {"keputusan_rw": "kembalikan", "catatan_rw": "Panjang saluran 250 m, bukan 300 m."})
    assert inst.ready == ["perbaikan_usulan_rt"]
    assert inst.lane_of("perbaikan_usulan_rt") == "Ketua RT"

    corrected = {
        k: USULAN[k]
        for k in (
            "judul",
            "permasalahan",
            "bidang_urusan",
            "opd_tujuan",
            "wilayah",
            "alamat_lokasi",
            "satuan",
            "penerima_manfaat",
            "urgensi",
            "lampiran",
        )
    }
    corrected.update(
        {"volume": 250, "perkiraan_biaya": 125_000_000, "catatan_perbaikan_rt": "Volume dan biaya dikoreksi."}
    )
    inst.complete("perbaikan_usulan_rt", corrected)

    assert inst.ready == ["verifikasi_rw"]
    assert inst.data["volume"] == 250
    assert inst.data["perkiraan_biaya"] == 125_000_000
    inst.at(datetime(2026, 1, 16, 10, 0, tzinfo=WIB)).complete("verifikasi_rw", TERIMA_RW)  # the RW's meeting day
    assert inst.ready == [] and inst.waits_at() == ["tunggu_musyawarah_desa"]
    assert levels(inst) == [("rt", "diusulkan"), ("rw", "kembalikan"), ("rt", "diperbaiki"), ("rw", "terima")]
    assert inst.data["riwayat_keputusan"][2]["catatan"] == "Volume dan biaya dikoreksi."


def test_the_revised_proposal_must_still_be_in_karanganyar(run):
    inst = propose(run)
    inst.complete("verifikasi_rw", {"keputusan_rw": "kembalikan", "catatan_rw": "Lokasi salah."})
    moved = {
        k: USULAN[k]
        for k in (
            "judul",
            "permasalahan",
            "bidang_urusan",
            "opd_tujuan",
            "volume",
            "satuan",
            "perkiraan_biaya",
            "penerima_manfaat",
            "urgensi",
        )
    }
    moved.update({"wilayah": "63.10.01.2001/RW01/RT001", "catatan_perbaikan_rt": "Lokasi diganti."})
    with pytest.raises(FormInvalid) as refused:
        inst.complete("perbaikan_usulan_rt", moved)
    assert [e.field for e in refused.value.errors] == ["wilayah"]


def test_higher_levels_return_the_proposal_one_level_down(run):
    inst = accept_until(propose(run), stop_before="tunggu_musrenbang_kab")

    # MUSRENBANG-KAB -> FORGAB-OPD: it waits for its OPD's next forum
    decide(inst, "tunggu_musrenbang_kab", {"keputusan": "kembalikan", "catatan": "Tinjau ulang pagu."})
    assert at_step(inst) == ["tunggu_forgab_opd"]
    # FORGAB-OPD -> MUSRENBANG-CAM
    decide(inst, "tunggu_forgab_opd", {"keputusan": "kembalikan", "catatan": "Lengkapi gambar teknis."})
    assert inst.ready == [] and inst.waits_at() == ["tunggu_musrenbang_cam"]  # for the next MUSRENBANG-CAM
    # MUSRENBANG-CAM -> desa/kelurahan, which forwards it again through SIMDA
    decide(inst, "tunggu_musrenbang_cam", {"keputusan": "kembalikan", "catatan": "Perbarui lokasi."})
    assert inst.ready == [] and inst.waits_at() == ["tunggu_musyawarah_desa"]  # for the desa's next musyawarah
    decide(inst, "tunggu_musyawarah_desa", TERIMA_DESA)
    assert inst.ready == ["input_simda"]
    inst.complete("input_simda", {**SIMDA, "catatan_operator": "Data SIMDA diperbarui."})
    for name in ("tunggu_musrenbang_cam", "tunggu_forgab_opd", "tunggu_musrenbang_kab", "catat_perkada_rkpd"):
        decide(inst, name, dict(STEPS[PATH.index(name)][2]))

    assert inst.data["hasil"] == "masuk_rkpd"
    # Back at the kecamatan on 5 March, after its forum's cut-off (2 March): carried to the 2028 cycle,
    # where the next MUSRENBANG-CAM decides it.
    assert inst.data["tahun_rkpd"] == 2028
    assert levels(inst)[5:] == [
        ("kabupaten", "kembalikan"),
        ("opd", "kembalikan"),
        ("kecamatan", "dibawa_ke_tahun_berikutnya"),
        ("kecamatan", "kembalikan"),
        ("desa", "terima"),
        ("kecamatan", "terima"),
        ("opd", "terima"),
        ("kabupaten", "terima"),
        ("rkpd", "masuk_rkpd"),
    ]


def test_the_opd_forum_reroutes_a_proposal_to_the_right_opd_whose_forum_then_lists_it(run):
    inst = accept_until(propose(run), stop_before="tunggu_forgab_opd")
    assert inst.result.waits[0].fields["opd_tujuan"] == "dpupr"
    decide(inst, "tunggu_forgab_opd", {"keputusan": "alihkan", "opd_tujuan_baru": "dispertan"})

    # Waiting again, now for the FORGAB-OPD of the Dinas Pertanian: its forum's list has it.
    assert at_step(inst) == ["tunggu_forgab_opd"]
    assert inst.result.waits[0].fields["opd_tujuan"] == "dispertan"
    assert inst.data["opd_tujuan"] == "dispertan"
    assert inst.data["opd_tujuan_awal"] == "dpupr"
    rerouted = inst.data["riwayat_keputusan"][-1]
    assert rerouted["keputusan"] == "alihkan"
    assert (rerouted["opd_asal"], rerouted["opd_tujuan_baru"]) == ("dpupr", "dispertan")

    decide(inst, "tunggu_forgab_opd", TERIMA_OPD)
    decide(inst, "tunggu_musrenbang_kab", TERIMA_KABUPATEN)
    decide(inst, "catat_perkada_rkpd", PERKADA)
    assert inst.data["hasil"] == "masuk_rkpd"
    assert inst.data["opd_tujuan"] == "dispertan"


def test_six_months_after_the_rt_meeting_baperlitbang_gets_an_escalation_and_the_proposal_goes_on(run):
    inst = accept_until(propose(run), stop_before="tunggu_forgab_opd")

    # One minute before the limit: only the OPD forum's cut-off (31 March) has passed, which carried the
    # proposal to the 2028 cycle, where it waits for Dinas PUPR's next forum.
    inst.at(datetime(2026, 7, 14, 15, 59, tzinfo=WIB))
    assert at_step(inst) == ["tunggu_forgab_opd"]
    assert inst.fired_timers() == ["timer_batas_forum_opd"]
    assert inst.data["tahun_rkpd"] == 2028 and inst.data["dibawa_dari_tahun"] == 2027

    inst.at(datetime(2026, 7, 14, 16, 1, tzinfo=WIB))
    assert inst.fired_timers() == ["timer_batas_forum_opd", "timer_batas_rkpd"]
    assert at_step(inst) == ["eskalasi_batas_rkpd", "tunggu_forgab_opd"]
    assert inst.lane_of("eskalasi_batas_rkpd") == "Baperlitbang"
    assert inst.result.next_timer == datetime(2027, 3, 31, 16, 0, tzinfo=WIB)  # the 2028 cycle's OPD cut-off

    inst.complete(
        "eskalasi_batas_rkpd",
        {
            "tindak_lanjut_eskalasi": "koordinasi_opd",
            "catatan_eskalasi": "Minta Dinas PUPR menuntaskan FORGAB-OPD pekan ini.",
        },
    )
    assert at_step(inst) == ["tunggu_forgab_opd"]
    decide(inst.at(datetime(2026, 7, 16, 10, 0, tzinfo=WIB)), "tunggu_forgab_opd", TERIMA_OPD)
    decide(inst.at(datetime(2026, 7, 20, 10, 0, tzinfo=WIB)), "tunggu_musrenbang_kab", TERIMA_KABUPATEN)
    decide(inst.at(datetime(2026, 7, 24, 10, 0, tzinfo=WIB)), "catat_perkada_rkpd",
           {"nomor_perkada_rkpd": "Perbup 51/2026 (perubahan RKPD)", "tanggal_perkada_rkpd": "2026-07-23"})

    assert inst.status == "complete"
    assert inst.data["hasil"] == "masuk_rkpd"
    assert inst.data["rkpd_tepat_waktu"] is False
    assert inst.data["masuk_rkpd_pada"] == "2026-07-24T10:00:00+07:00"


def test_a_perkada_dated_on_the_due_day_is_on_time_even_when_recorded_later(run):
    inst = accept_until(propose(run), stop_before="catat_perkada_rkpd")
    inst.at(datetime(2026, 7, 15, 9, 0, tzinfo=WIB))  # recorded the next morning: the escalation already came
    assert at_step(inst) == ["catat_perkada_rkpd", "eskalasi_batas_rkpd"]
    inst.complete("catat_perkada_rkpd", {**PERKADA, "tanggal_perkada_rkpd": "2026-07-14"})
    assert inst.data["rkpd_tepat_waktu"] is True


def test_an_escalation_still_open_when_the_proposal_reaches_the_rkpd_is_closed_with_it(run):
    inst = accept_until(propose(run), stop_before="catat_perkada_rkpd")
    inst.at(datetime(2026, 7, 15, 9, 0, tzinfo=WIB))
    assert at_step(inst) == ["catat_perkada_rkpd", "eskalasi_batas_rkpd"]

    inst.complete("catat_perkada_rkpd", {**PERKADA, "tanggal_perkada_rkpd": "2026-07-15"})

    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.data["hasil"] == "masuk_rkpd"
    assert inst.data["rkpd_tepat_waktu"] is False


@pytest.mark.parametrize(
    ("task", "level", "target", "extra"),
    [
        ("verifikasi_rw", "rw", "Normalisasi saluran irigasi tersier Dusun Ngemplak (RT 002)", {}),
        ("tunggu_musyawarah_desa", "desa", "ALR-33130-00417", {}),
        ("tunggu_musrenbang_cam", "kecamatan", "ALR-33130-00377", {}),
        ("tunggu_forgab_opd", "opd", "ALR-33130-00388", {}),
        ("tunggu_musrenbang_kab", "kabupaten", "Program rehabilitasi irigasi kabupaten 2027", {}),
    ],
)
def test_a_proposal_merged_into_another_at_a_level_ends_with_that_level_and_the_target(run, task, level, target, extra):
    inst = accept_until(propose(run), stop_before=task)
    assert at_step(inst) == [task]

    # Wednesday 22 April 2026, inside the 6 months; a forum decides on its own day, before its cut-off.
    when = STEPS[PATH.index(task)][3] if task in FORUM_MESSAGES else datetime(2026, 4, 22, 10, 0, tzinfo=WIB)
    decide(inst.at(when), task, {**level_form(level, keputusan="gabung", gabung_ke=target), **extra})

    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.result.next_timer is None  # the 6-month watch ends with the proposal
    assert inst.fired_timers() == []
    assert f"end_digabung_{level}" in inst.completed_elements()
    assert "end_masuk_rkpd" not in inst.completed_elements()
    assert not {f"end_ditolak_{lvl}" for lvl in ("rw", "desa", "kecamatan", "opd", "kabupaten")} & set(
        inst.completed_elements()
    )
    data = inst.data
    assert data["hasil"] == "digabungkan"
    assert data["digabung_di_tingkat"] == level
    assert data["digabung_ke"] == target
    assert data["digabung_pada"] == when.isoformat()
    assert "ditolak_di_tingkat" not in data and "masuk_rkpd_pada" not in data
    last = data["riwayat_keputusan"][-1]
    assert (last["tingkat"], last["keputusan"], last["gabung_ke"]) == (level, "gabung", target)
    assert last["waktu"] == when.isoformat()
    assert levels(inst)[-1] == (level, "gabung")
    assert inst.done == [*PATH[: PATH.index(task)], task]


@pytest.mark.parametrize(("task", "level"), [("verifikasi_rw", "rw")])
def test_a_merge_needs_the_proposal_it_is_merged_into(run, task, level):
    inst = accept_until(propose(run), stop_before=task)
    form = {f"keputusan_{level}": "gabung"}

    with pytest.raises(FormInvalid) as refused:
        inst.complete(task, form)
    assert [e.field for e in refused.value.errors] == [f"gabung_ke_{level}"]
    with pytest.raises(FormInvalid) as refused:
        inst.complete(task, {**form, f"gabung_ke_{level}": "ab"})  # too short to find the proposal
    assert [e.field for e in refused.value.errors] == [f"gabung_ke_{level}"]
    assert inst.ready == [task]  # nothing moved


def test_a_proposal_merged_after_its_six_month_escalation_closes_the_escalation_with_it(run):
    inst = accept_until(propose(run), stop_before="tunggu_musrenbang_kab")
    inst.at(datetime(2026, 7, 15, 9, 0, tzinfo=WIB))
    assert at_step(inst) == ["eskalasi_batas_rkpd", "tunggu_musrenbang_kab"]

    decide(inst, "tunggu_musrenbang_kab",
           {"keputusan": "gabung", "gabung_ke": "Program rehabilitasi irigasi kabupaten 2027"})

    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.data["hasil"] == "digabungkan"
    assert inst.data["digabung_pada"] == "2026-07-15T09:00:00+07:00"


REVISI_RT = {
    **{
        k: USULAN[k]
        for k in (
            "judul", "permasalahan", "bidang_urusan", "opd_tujuan", "wilayah", "volume", "satuan",
            "perkiraan_biaya", "penerima_manfaat", "urgensi",
        )
    },
    "catatan_perbaikan_rt": "Volume disesuaikan hasil pengukuran.",
}  # fmt: skip


# The 2027 cycle's cut-offs (processes/kalender_musrenbang.json), on a working day at 16:00 WIB:
# 28 February 2026 is a Saturday, so MUSRENBANG-CAM closes on Monday 2 March.
FORUM_CUTOFFS = {
    "tunggu_musyawarah_desa": ("desa", datetime(2026, 2, 2, 16, 0, tzinfo=WIB)),  # 31 January is a Saturday
    "tunggu_musrenbang_cam": ("kecamatan", datetime(2026, 3, 2, 16, 0, tzinfo=WIB)),
    "tunggu_forgab_opd": ("opd", datetime(2026, 3, 31, 16, 0, tzinfo=WIB)),
    "tunggu_musrenbang_kab": ("kabupaten", datetime(2026, 4, 30, 16, 0, tzinfo=WIB)),
}


# The 2028 cycle's, in 2027: 28 February 2027 is a Sunday.
NEXT_CYCLE_CUTOFFS = {
    "tunggu_musyawarah_desa": datetime(2027, 2, 1, 16, 0, tzinfo=WIB),  # 31 January 2027 is a Sunday
    "tunggu_musrenbang_cam": datetime(2027, 3, 1, 16, 0, tzinfo=WIB),
    "tunggu_forgab_opd": datetime(2027, 3, 31, 16, 0, tzinfo=WIB),
    "tunggu_musrenbang_kab": datetime(2027, 4, 30, 16, 0, tzinfo=WIB),
}


def wait_at(inst, step):
    """Bring a fresh proposal to `step` and leave it waiting there."""
    if step == "perbaikan_usulan_rt":
        inst.at(datetime(2026, 1, 16, 19, 30, tzinfo=WIB)).complete(
            "verifikasi_rw", {"keputusan_rw": "kembalikan", "catatan_rw": "Ukur ulang panjang saluran."}
        )
        return inst
    return accept_until(inst, stop_before=step)


@pytest.mark.parametrize("step", ["verifikasi_rw", "perbaikan_usulan_rt", *PATH[1:]])
def test_the_six_month_limit_escalates_whichever_step_the_proposal_waits_at(run, step):
    inst = wait_at(propose(run), step)
    assert at_step(inst) == [step]
    # A forum wait ends earlier at its forum's cut-off (the proposal is carried to the 2028 cycle and waits
    # again at the same level); the 6-month watch goes on through it.
    carried = [f"timer_batas_forum_{FORUM_CUTOFFS[step][0]}"] if step in FORUM_CUTOFFS else []
    first = FORUM_CUTOFFS[step][1] if step in FORUM_CUTOFFS else datetime(2026, 7, 14, 16, 0, tzinfo=WIB)
    assert inst.result.next_timer == first

    inst.at(datetime(2026, 7, 14, 16, 0, tzinfo=WIB))  # Tuesday 14 July 2026, the due moment itself
    assert inst.fired_timers() == carried
    inst.at(datetime(2026, 7, 14, 16, 1, tzinfo=WIB))

    assert inst.fired_timers() == [*carried, "timer_batas_rkpd"]
    assert at_step(inst) == sorted(["eskalasi_batas_rkpd", step])
    assert inst.lane_of("eskalasi_batas_rkpd") == "Baperlitbang"
    if carried:
        assert inst.result.waits[0].fields["tahun_rkpd"] == 2028
        assert inst.result.next_timer == NEXT_CYCLE_CUTOFFS[step]
    else:
        assert inst.result.next_timer is None
    assert inst.data["batas_rkpd"] == "2026-07-14T16:00:00+07:00"

    # The step goes on where it was: the RT's correction, for one, still goes back to the RW.
    if step == "perbaikan_usulan_rt":
        inst.complete(step, REVISI_RT)
        assert inst.ready == ["eskalasi_batas_rkpd", "verifikasi_rw"]
