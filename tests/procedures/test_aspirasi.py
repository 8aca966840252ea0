"""Aspirasi (Sekretariat DPRD Kabupaten Tanah Bumbu): public aspirations to the DPRD.

Registered by Subbag Umum dan Kepegawaian with the notification letter and the police
STTP; approved (or rescheduled, or rejected) by the Sekretaris DPRD; then the seven steps
of the standard, finished within 6 working days (WITA) of the approval. A demonstration
notified to the police less than 3 x 24 hours ahead (UU 9/1998) is flagged, not refused.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import FormInvalid

from .conftest import WITA

UNJUK_RASA = {
    "bentuk": "unjuk_rasa",
    "perihal": "Tuntutan perbaikan jalan Batulicin - Kusan Hulu",
    "organisasi": "Aliansi Masyarakat Kusan Hulu",
    "penanggung_jawab": "Ahmad Rifani",
    "telepon_penanggung_jawab": "081351234567",
    "nomor_surat_pemberitahuan": "07/AMKH/III/2026",
    "tanggal_surat_pemberitahuan": "2026-03-28",
    "nomor_sttp": "STTP/31/III/2026/Intelkam",
    "waktu_sttp": "2026-03-30T09:00:00+08:00",
    "satuan_polisi": "Polres Tanah Bumbu",
    "waktu_rencana": "2026-04-06T09:00:00+08:00",  # Monday
    "tempat_atau_rute": "Bundaran Simpang Empat - Gedung DPRD Tanah Bumbu",
    "perkiraan_peserta": 150,
    "tuntutan": ["Perbaikan jalan poros Kusan Hulu sebelum musim hujan", "Transparansi anggaran jalan 2026"],
    "lampiran": ["https://arsip.example/dprd/surat-07-AMKH.pdf"],
    "wilayah": "63.10",
}
SETUJUI = {"keputusan_sekretaris": "setujui"}
AGENDA = {
    "jadwal_penerimaan": "2026-04-06T10:00:00+08:00",
    "tempat_penerimaan": "Ruang Rapat Paripurna DPRD Tanah Bumbu",
    "koordinasi_kepolisian": "Polres menurunkan 2 SSK; rute dikawal Satlantas.",
    "sarana_prasarana": ["Pengeras suara", "Ruang rapat", "Air minum"],
    "kasubbag_pendamping": "Kasubbag Pengaduan dan Layanan Aspirasi",
}
KOORDINASI_AKD = {
    "alat_kelengkapan_direkomendasikan": ["komisi_3"],
    "anggota_penerima": ["Ketua Komisi III", "Anggota Dapil Kusan Hulu"],
}
TERIMA = {
    "diterima_pada": "2026-04-06T10:15:00+08:00",
    "nomor_berita_acara": "BA/ASP/IV/2026/004",
    "jumlah_hadir": 132,
    "daftar_hadir": "DH-ASP-2026-004.pdf",
    "anggota_dprd_hadir": ["Ketua Komisi III"],
    "ringkasan_aspirasi": "Massa meminta perbaikan jalan poros Kusan Hulu dan keterbukaan anggaran.",
}
LAPORAN = {
    "nomor_laporan": "LAP/ASP/IV/2026/004",
    "isi_laporan": "Laporan penerimaan aspirasi Aliansi Masyarakat Kusan Hulu.",
}
TERUSKAN = {"laporan_diteruskan_pada": "2026-04-09"}
DISPOSISI = {
    "disposisi_ke": ["komisi_3", "dapil"],
    "instruksi_disposisi": "Komisi III rapat dengar pendapat dengan Dinas PUPR; dapil Kusan Hulu memantau.",
    "nomor_disposisi": "DISP/IV/2026/017",
}
TERIMA_DISPOSISI = {
    "rencana_tindak_lanjut": [
        {"alat_kelengkapan": "komisi_3", "rencana": "RDP dengan Dinas PUPR", "target_tanggal": "2026-04-20"},
        {"alat_kelengkapan": "dapil", "rencana": "Kunjungan lapangan", "target_tanggal": "2026-04-25"},
    ]
}
ARSIP = {"nomor_arsip": "ARS/ASP/2026/004", "tanggal_arsip": "2026-04-13"}

STEPS = [
    ("agenda_koordinasi", "Kabag Pengawasan", AGENDA, 2, 9),
    ("koordinasi_alat_kelengkapan", "Kabag Pengawasan", KOORDINASI_AKD, 2, 14),
    ("terima_aspirasi", "Kasubbag Aspirasi", TERIMA, 6, 12),
    ("susun_laporan", "Kasubbag Aspirasi", LAPORAN, 7, 10),
    ("teruskan_laporan", "Sekretaris DPRD", TERUSKAN, 9, 9),
    ("disposisi_pimpinan", "Pimpinan DPRD", DISPOSISI, 9, 14),
    ("terima_disposisi", "Alat Kelengkapan DPRD", TERIMA_DISPOSISI, 10, 10),
    ("arsip_aspirasi", "Arsiparis DPRD", ARSIP, 13, 10),
]
SEVEN_STEPS = [name for name, *_ in STEPS]


def wita(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def register(run, data=None, at=None):
    inst = run("aspirasi")
    inst.clock.set(at or wita(3, 30, 10))  # Monday 30 March 2026, 10:00 WITA
    return inst.start(dict(UNJUK_RASA if data is None else data))


def approve(inst, at=None):
    assert inst.lane_of("persetujuan_sekretaris") == "Sekretaris DPRD"
    return inst.at(at or wita(4, 1, 10)).complete("persetujuan_sekretaris", SETUJUI)


def handle(inst, until=None):
    for name, lane, form, day, hour in STEPS:
        if name == until:
            return inst
        inst.at(wita(4, day, hour))
        assert inst.lane_of(name) == lane
        inst.complete(name, form)
    return inst


def test_an_approved_demonstration_goes_through_the_seven_steps_within_six_working_days(run):
    inst = register(run)
    assert inst.data["diregistrasi_pada"] == "2026-03-30T10:00:00+08:00"
    assert inst.data["pemberitahuan_terlambat"] is False
    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] == 168.0
    assert inst.ready == ["persetujuan_sekretaris"]

    approve(inst)
    # 6 working days after Wednesday 1 April: 2, 6, 7, 9, 10, 13 April
    # (3 April Good Friday, 8 April Hari Jadi Tanah Bumbu in processes/hari_libur.json).
    assert inst.data["disetujui_pada"] == "2026-04-01T10:00:00+08:00"
    assert inst.data["batas_penyelesaian"] == "2026-04-13T16:00:00+08:00"
    assert inst.result.next_timer == datetime(2026, 4, 13, 16, 0, tzinfo=WITA)
    assert inst.ready == ["agenda_koordinasi"]

    handle(inst)

    assert inst.status == "complete"
    assert inst.done == ["persetujuan_sekretaris", *SEVEN_STEPS]
    assert inst.fired_timers() == []
    assert inst.result.next_timer is None
    assert {"catat_selesai", "end_selesai"} <= inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "selesai"
    assert data["selesai_pada"] == "2026-04-13T10:00:00+08:00"
    assert data["selesai_tepat_waktu"] is True
    assert data["disposisi_ke"] == ["komisi_3", "dapil"]
    assert data["nomor_berita_acara"] == "BA/ASP/IV/2026/004"
    assert data["nomor_arsip"] == "ARS/ASP/2026/004"
    assert [(r["keputusan"], r["waktu_rencana"]) for r in data["riwayat_persetujuan"]] == [
        ("setujui", "2026-04-06T09:00:00+08:00")
    ]


def test_a_demonstration_notified_to_the_police_less_than_3x24_hours_ahead_is_flagged_but_handled(run):
    late = {**UNJUK_RASA, "waktu_sttp": "2026-04-08T10:00:00+08:00", "waktu_rencana": "2026-04-10T09:00:00+08:00"}
    inst = register(run, late, at=wita(4, 8, 11))

    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] == 47.0
    assert inst.data["pemberitahuan_terlambat"] is True
    assert inst.ready == ["persetujuan_sekretaris"]  # not refused

    approve(inst, at=wita(4, 8, 13))
    assert inst.ready == ["agenda_koordinasi"]
    assert inst.data["riwayat_persetujuan"][0]["pemberitahuan_terlambat"] is True
    # 6 working days after Wednesday 8 April (itself a local holiday): 9, 10, 13, 14, 15, 16 April.
    assert inst.data["batas_penyelesaian"] == "2026-04-16T16:00:00+08:00"


@pytest.mark.parametrize(
    ("waktu_sttp", "waktu_rencana", "jam", "terlambat"),
    [
        ("2026-04-07T09:00:00+08:00", "2026-04-10T09:00:00+08:00", 72.0, False),  # exactly 3 x 24 hours
        ("2026-04-07T09:30:00+08:00", "2026-04-10T09:00:00+08:00", 71.5, True),
        ("2026-02-27T10:00:00+07:00", "2026-03-02T10:00:00+08:00", 71.0, True),  # end of February, WIB vs WITA
        ("2025-12-30T08:00:00+08:00", "2026-01-02T08:00:00+08:00", 72.0, False),  # across the new year
        ("2026-04-06T01:00:00Z", "2026-04-09T09:00:00+08:00", 72.0, False),
    ],
)
def test_the_3x24_hour_check_counts_real_hours(run, waktu_sttp, waktu_rencana, jam, terlambat):
    inst = register(run, {**UNJUK_RASA, "waktu_sttp": waktu_sttp, "waktu_rencana": waktu_rencana})
    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] == jam
    assert inst.data["pemberitahuan_terlambat"] is terlambat


def test_an_audience_needs_no_police_notification(run):
    audiensi = {k: v for k, v in UNJUK_RASA.items() if k not in ("nomor_sttp", "waktu_sttp", "satuan_polisi")}
    audiensi.update({"bentuk": "audiensi", "perkiraan_peserta": 12, "tempat_atau_rute": "Ruang Komisi III"})
    inst = register(run, audiensi)
    assert inst.data["pemberitahuan_terlambat"] is False
    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] is None


def test_a_demonstration_without_police_sttp_cannot_be_registered(run):
    no_sttp = {k: v for k, v in UNJUK_RASA.items() if k not in ("nomor_sttp", "waktu_sttp", "satuan_polisi")}
    with pytest.raises(FormInvalid) as refused:
        register(run, no_sttp)
    assert sorted(e.field for e in refused.value.errors) == ["nomor_sttp", "satuan_polisi", "waktu_sttp"]


def test_the_secretary_rejects_an_aspiration_with_a_reason(run):
    inst = register(run)
    with pytest.raises(FormInvalid):
        inst.complete("persetujuan_sekretaris", {"keputusan_sekretaris": "tolak"})
    inst.at(wita(3, 31, 9)).complete(
        "persetujuan_sekretaris",
        {
            "keputusan_sekretaris": "tolak",
            "alasan_sekretaris": "Materi aspirasi sudah ditangani DPRD Provinsi Kalimantan Selatan.",
        },
    )

    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.done == ["persetujuan_sekretaris"]
    assert "end_ditolak" in inst.completed_elements()
    assert "catat_persetujuan" not in inst.completed_elements()
    assert inst.data["hasil"] == "ditolak"
    assert inst.data["alasan_penolakan"] == "Materi aspirasi sudah ditangani DPRD Provinsi Kalimantan Selatan."
    assert "batas_penyelesaian" not in inst.data


def test_a_rescheduled_aspiration_goes_back_to_registration_and_is_checked_again(run):
    late = {**UNJUK_RASA, "waktu_sttp": "2026-04-01T10:00:00+08:00", "waktu_rencana": "2026-04-02T09:00:00+08:00"}
    inst = register(run, late, at=wita(4, 1, 11))
    assert inst.data["pemberitahuan_terlambat"] is True

    inst.at(wita(4, 1, 13)).complete(
        "persetujuan_sekretaris",
        {
            "keputusan_sekretaris": "jadwal_ulang",
            "alasan_sekretaris": "Pimpinan DPRD kunjungan kerja 2 April; minta jadwal setelah 6 April.",
        },
    )
    assert inst.ready == ["perbarui_jadwal"]
    assert inst.lane_of("perbarui_jadwal") == "Subbag Umum"

    inst.at(wita(4, 2, 9)).complete(
        "perbarui_jadwal",
        {
            "waktu_rencana": "2026-04-07T09:00:00+08:00",
            "nomor_sttp": "STTP/35/IV/2026/Intelkam",
            "waktu_sttp": "2026-04-02T08:30:00+08:00",
            "satuan_polisi": "Polres Tanah Bumbu",
            "alasan_jadwal_ulang": "Penanggung jawab setuju pindah ke Selasa 7 April.",
        },
    )
    # The new notification is in time: the flag is recomputed.
    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] == 120.5
    assert inst.data["pemberitahuan_terlambat"] is False
    assert inst.ready == ["persetujuan_sekretaris"]

    approve(inst, at=wita(4, 2, 10))
    assert inst.ready == ["agenda_koordinasi"]
    assert inst.data["waktu_rencana"] == "2026-04-07T09:00:00+08:00"
    assert [
        (r["keputusan"], r["waktu_rencana"], r["pemberitahuan_terlambat"]) for r in inst.data["riwayat_persetujuan"]
    ] == [
        ("jadwal_ulang", "2026-04-02T09:00:00+08:00", True),
        ("setujui", "2026-04-07T09:00:00+08:00", False),
    ]
    # 6 working days after Thursday 2 April: 6, 7, 9, 10, 13, 14 April.
    assert inst.data["batas_penyelesaian"] == "2026-04-14T16:00:00+08:00"
    handle(inst)
    assert inst.status == "complete"
    assert inst.done == ["persetujuan_sekretaris", "perbarui_jadwal", "persetujuan_sekretaris", *SEVEN_STEPS]
    assert inst.data["selesai_tepat_waktu"] is True


def test_handling_past_six_working_days_escalates_to_the_secretary_and_the_work_goes_on(run):
    inst = register(run)
    approve(inst)
    handle(inst, until="susun_laporan")
    assert inst.ready == ["susun_laporan"]

    inst.at(wita(4, 13, 16))
    assert inst.fired_timers() == []
    inst.at(wita(4, 13, 16, 1))
    assert inst.fired_timers() == ["timer_batas_penyelesaian"]
    assert inst.ready == ["eskalasi_batas_penyelesaian", "susun_laporan"]
    assert inst.lane_of("eskalasi_batas_penyelesaian") == "Sekretaris DPRD"

    inst.complete(
        "eskalasi_batas_penyelesaian",
        {
            "tindakan_eskalasi": "ingatkan_petugas",
            "arahan_eskalasi": "Laporan diselesaikan besok pagi.",
        },
    )
    for name, _lane, form, _day, _hour in STEPS[3:]:
        inst.at(wita(4, 14, 9)).complete(name, form)

    assert inst.status == "complete"
    assert inst.data["hasil"] == "selesai"
    assert inst.data["selesai_pada"] == "2026-04-14T09:00:00+08:00"
    assert inst.data["selesai_tepat_waktu"] is False


@pytest.mark.parametrize("step", SEVEN_STEPS)
def test_the_six_working_day_limit_escalates_whichever_step_the_aspiration_waits_at(run, step):
    inst = register(run)
    approve(inst)  # Wednesday 1 April 2026: due Monday 13 April, 16:00 WITA
    handle(inst, until=step)
    assert inst.ready == [step]
    assert inst.result.next_timer == wita(4, 13, 16)

    inst.at(wita(4, 13, 16))
    assert inst.fired_timers() == []
    inst.at(wita(4, 13, 16, 1))

    assert inst.fired_timers() == ["timer_batas_penyelesaian"]
    assert inst.ready == sorted(["eskalasi_batas_penyelesaian", step])
    assert inst.lane_of("eskalasi_batas_penyelesaian") == "Sekretaris DPRD"
    assert inst.result.next_timer is None

    # The work goes on from the step it waited at; finishing closes an escalation nobody handled.
    for name, _lane, form, _day, _hour in STEPS[SEVEN_STEPS.index(step) :]:
        inst.at(wita(4, 14, 9)).complete(name, form)
    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.data["selesai_pada"] == "2026-04-14T09:00:00+08:00"
    assert inst.data["selesai_tepat_waktu"] is False


def test_the_six_working_days_start_at_the_approval_so_registration_and_rescheduling_are_not_watched(run):
    inst = register(run)  # Monday 30 March 2026
    assert inst.ready == ["persetujuan_sekretaris"]
    assert inst.result.next_timer is None
    inst.at(wita(3, 31, 9)).complete(
        "persetujuan_sekretaris",
        {"keputusan_sekretaris": "jadwal_ulang", "alasan_sekretaris": "Ruang paripurna dipakai 6 April."},
    )
    assert inst.ready == ["perbarui_jadwal"]
    assert inst.result.next_timer is None
    assert "batas_penyelesaian" not in inst.data

    inst.at(wita(4, 14, 9))  # long after six working days from registration: still nothing to escalate
    assert inst.fired_timers() == []
    assert inst.ready == ["perbarui_jadwal"]
