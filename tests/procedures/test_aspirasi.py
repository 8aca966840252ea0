"""Aspirasi (Sekretariat DPRD Kabupaten Tanah Bumbu): public aspirations to the DPRD.

Registered by Subbag Umum dan Kepegawaian with the notification letter and the police
STTP; approved (or rescheduled, or rejected) by the Sekretaris DPRD; then the seven steps
of the standard, finished within "6 hari". The standard names no unit: the diagram reads it
as calendar days (`satuan_batas = "hari_kalender"`) unless the office switches the start
script to working days, and counts from the approval or, when the event is planned later,
from the event. A demonstration notified to the police less than 3 x 24 hours ahead
(UU 9/1998) is flagged, not refused. The leadership's disposition gives each chosen DPRD organ
its own task in that organ's inbox; each organ's follow-up goes back to the aspirants.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from engine import FormInvalid, ProcessRegistry

from .conftest import ROOT, WITA, Instance

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
# Each organ answers its own task; the aspirants read `tindak_lanjut_untuk_pelapor`.
TINDAK_LANJUT = {
    "komisi_3": {
        "rencana_tindak_lanjut": "RDP dengan Dinas PUPR tentang jalan poros Kusan Hulu",
        "target_tanggal": "2026-04-20",
        "tindak_lanjut_untuk_pelapor": "Komisi III memanggil Dinas PUPR dalam rapat dengar pendapat tentang jalan Anda.",
    },
    "dapil": {
        "rencana_tindak_lanjut": "Kunjungan lapangan anggota dapil Kusan Hulu",
        "target_tanggal": "2026-04-25",
        "tindak_lanjut_untuk_pelapor": "Anggota DPRD dari daerah pemilihan Anda akan meninjau jalan itu.",
    },
}
ARSIP = {"nomor_arsip": "ARS/ASP/2026/004", "tanggal_arsip": "2026-04-10"}

# The event is Monday 6 April 2026, after the approval (Wednesday 1 April): the 6 calendar days count
# from the event and end on Sunday 12 April, 16:00 WITA. The schedule below finishes on Friday 10 April.
STEPS = [
    ("agenda_koordinasi", "Kabag Pengawasan", AGENDA, 2, 9),
    ("koordinasi_alat_kelengkapan", "Kabag Pengawasan", KOORDINASI_AKD, 2, 14),
    ("terima_aspirasi", "Kasubbag Aspirasi", TERIMA, 6, 12),
    ("susun_laporan", "Kasubbag Aspirasi", LAPORAN, 7, 10),
    ("teruskan_laporan", "Sekretaris DPRD", TERUSKAN, 9, 9),
    ("disposisi_pimpinan", "Pimpinan DPRD", DISPOSISI, 9, 14),
    ("terima_disposisi", "Alat Kelengkapan DPRD", TINDAK_LANJUT, 10, 10),
    ("arsip_aspirasi", "Subbag Pengaduan dan Layanan Aspirasi", ARSIP, 10, 14),
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


def do_step(inst, name, form, lane=None):
    """Complete a step; the disposition step is one task per organ, each completed by its own unit."""
    if name != "terima_disposisi":
        assert lane is None or inst.lane_of(name) == lane
        return inst.complete(name, form)
    for unit in inst.units_of(name):
        assert lane is None or inst.task(name, unit).lane == lane
        inst.complete(name, form[unit], unit=unit)
    return inst


def handle(inst, until=None):
    for name, lane, form, day, hour in STEPS:
        if name == until:
            return inst
        inst.at(wita(4, day, hour))
        do_step(inst, name, form, lane)
    return inst


def test_an_approved_demonstration_goes_through_the_seven_steps_within_six_days_of_the_event(run):
    inst = register(run)
    assert inst.data["diregistrasi_pada"] == "2026-03-30T10:00:00+08:00"
    assert inst.data["pemberitahuan_terlambat"] is False
    assert inst.data["jam_pemberitahuan_sebelum_kegiatan"] == 168.0
    assert inst.ready == ["persetujuan_sekretaris"]

    assert inst.data["satuan_batas"] == "hari_kalender"
    approve(inst)
    # Approved Wednesday 1 April, the demonstration is on Monday 6 April: 6 calendar days from the event
    # end on Sunday 12 April (calendar days count weekends and holidays alike).
    assert inst.data["disetujui_pada"] == "2026-04-01T10:00:00+08:00"
    assert inst.data["batas_dihitung_dari"] == "tanggal_kegiatan"
    assert inst.data["mulai_batas"] == "2026-04-06T09:00:00+08:00"
    assert inst.data["batas_penyelesaian"] == "2026-04-12T16:00:00+08:00"
    assert inst.result.next_timer == datetime(2026, 4, 12, 16, 0, tzinfo=WITA)
    assert inst.ready == ["agenda_koordinasi"]

    handle(inst)

    assert inst.status == "complete"
    assert inst.done == ["persetujuan_sekretaris", *SEVEN_STEPS[:-2], "terima_disposisi", "terima_disposisi",
                         "arsip_aspirasi"]
    assert inst.fired_timers() == []
    assert inst.result.next_timer is None
    assert {"catat_selesai", "end_selesai"} <= inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "selesai"
    assert data["selesai_pada"] == "2026-04-10T14:00:00+08:00"
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
    # The event (Friday 10 April) is after the approval: 6 calendar days from it, Thursday 16 April.
    assert inst.data["batas_dihitung_dari"] == "tanggal_kegiatan"
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
    # The new event date, Tuesday 7 April, is after the approval: 6 calendar days from it, Monday 13 April.
    assert inst.data["batas_penyelesaian"] == "2026-04-13T16:00:00+08:00"
    handle(inst)
    assert inst.status == "complete"
    assert inst.done[:3] == ["persetujuan_sekretaris", "perbarui_jadwal", "persetujuan_sekretaris"]
    assert inst.data["selesai_tepat_waktu"] is True


def test_handling_past_six_days_escalates_to_the_secretary_and_the_work_goes_on(run):
    inst = register(run)
    approve(inst)
    handle(inst, until="susun_laporan")
    assert inst.ready == ["susun_laporan"]

    inst.at(wita(4, 12, 16))
    assert inst.fired_timers() == []
    inst.at(wita(4, 12, 16, 1))
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
        do_step(inst.at(wita(4, 14, 9)), name, form)

    assert inst.status == "complete"
    assert inst.data["hasil"] == "selesai"
    assert inst.data["selesai_pada"] == "2026-04-14T09:00:00+08:00"
    assert inst.data["selesai_tepat_waktu"] is False


@pytest.mark.parametrize("step", SEVEN_STEPS)
def test_the_six_day_limit_escalates_whichever_step_the_aspiration_waits_at(run, step):
    inst = register(run)
    approve(inst)  # Wednesday 1 April 2026, event Monday 6 April: due Sunday 12 April, 16:00 WITA
    handle(inst, until=step)
    waiting = ["terima_disposisi", "terima_disposisi"] if step == "terima_disposisi" else [step]
    assert inst.ready == waiting
    assert inst.result.next_timer == wita(4, 12, 16)

    inst.at(wita(4, 12, 16))
    assert inst.fired_timers() == []
    inst.at(wita(4, 12, 16, 1))

    assert inst.fired_timers() == ["timer_batas_penyelesaian"]
    assert inst.ready == sorted(["eskalasi_batas_penyelesaian", *waiting])
    assert inst.lane_of("eskalasi_batas_penyelesaian") == "Sekretaris DPRD"
    assert inst.result.next_timer is None

    # The work goes on from the step it waited at; finishing closes an escalation nobody handled.
    for name, _lane, form, _day, _hour in STEPS[SEVEN_STEPS.index(step) :]:
        do_step(inst.at(wita(4, 14, 9)), name, form)
    assert inst.status == "complete"
    assert inst.ready == []
    assert inst.data["selesai_pada"] == "2026-04-14T09:00:00+08:00"
    assert inst.data["selesai_tepat_waktu"] is False


def test_the_six_days_start_at_the_approval_so_registration_and_rescheduling_are_not_watched(run):
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


# -- the disposition: one task per DPRD organ, each organ's follow-up back to the aspirants -----------


def test_the_disposition_gives_each_chosen_organ_its_own_task_in_that_organs_inbox(run):
    inst = register(run)
    approve(inst)
    handle(inst, until="terima_disposisi")
    assert inst.data["disposisi_ke"] == ["komisi_3", "dapil"]

    # One task per organ, each routed to its unit (the inbox shows it to that Komisi/AKD only).
    assert inst.ready == ["terima_disposisi", "terima_disposisi"]
    assert inst.units_of("terima_disposisi") == ["dapil", "komisi_3"]
    assert {inst.task("terima_disposisi", u).lane for u in ("komisi_3", "dapil")} == {"Alat Kelengkapan DPRD"}

    # Komisi III answers first: the aspirants hear from Komisi III at once, dapil's task still waits.
    inst.at(wita(4, 10, 10)).complete("terima_disposisi", TINDAK_LANJUT["komisi_3"], unit="komisi_3")
    assert inst.units_of("terima_disposisi") == ["dapil"]
    [komisi] = inst.sent()
    assert komisi == {
        "kode_lacak": None,  # the application gives every instance its tracking code at the start
        "jenis": "tindak_lanjut",
        "alat_kelengkapan": "komisi_3",
        "isi": "Komisi III DPRD Kabupaten Tanah Bumbu menindaklanjuti aspirasi Anda: Komisi III memanggil Dinas "
               "PUPR dalam rapat dengar pendapat tentang jalan Anda. Target selesai: 20 April 2026.",
        "email": None,
        "telepon": "081351234567",
    }

    inst.at(wita(4, 10, 11)).complete("terima_disposisi", TINDAK_LANJUT["dapil"], unit="dapil")
    assert inst.ready == ["arsip_aspirasi"]
    assert inst.lane_of("arsip_aspirasi") == "Subbag Pengaduan dan Layanan Aspirasi"
    assert [m["alat_kelengkapan"] for m in inst.sent()] == ["komisi_3", "dapil"]
    assert inst.sent()[1]["isi"].startswith("Kelompok daerah pemilihan DPRD Kabupaten Tanah Bumbu")

    # Every organ's answer is kept, in the order of the disposition.
    assert [(t["alat_kelengkapan"], t["rencana"], t["target_tanggal"], t["dicatat_pada"])
            for t in inst.data["tindak_lanjut_akd"]] == [
        ("komisi_3", "RDP dengan Dinas PUPR tentang jalan poros Kusan Hulu", "2026-04-20", "2026-04-10T10:00:00+08:00"),
        ("dapil", "Kunjungan lapangan anggota dapil Kusan Hulu", "2026-04-25", "2026-04-10T11:00:00+08:00"),
    ]


def test_the_follow_up_goes_to_the_aspirants_email_when_they_gave_one(run):
    inst = register(run, {**UNJUK_RASA, "email_penanggung_jawab": "amkh.kusanhulu@example.id"})
    approve(inst)
    handle(inst, until="terima_disposisi")
    inst.at(wita(4, 10, 10)).complete("terima_disposisi", TINDAK_LANJUT["dapil"], unit="dapil")
    assert [(m["email"], m["telepon"]) for m in inst.sent()] == [("amkh.kusanhulu@example.id", "081351234567")]


def test_a_disposition_to_a_single_organ_gives_one_task(run):
    inst = register(run)
    approve(inst)
    handle(inst, until="disposisi_pimpinan")
    inst.at(wita(4, 9, 14)).complete("disposisi_pimpinan", {**DISPOSISI, "disposisi_ke": ["badan_anggaran"]})
    assert inst.units_of("terima_disposisi") == ["badan_anggaran"]
    inst.complete("terima_disposisi", TINDAK_LANJUT["komisi_3"], unit="badan_anggaran")
    assert inst.sent()[0]["isi"].startswith("Badan Anggaran DPRD")
    assert inst.ready == ["arsip_aspirasi"]


# -- "6 hari": the unit is a choice of the office, the clock starts at the later of approval and event ---

SURAT = {
    **{k: v for k, v in UNJUK_RASA.items() if k not in ("nomor_sttp", "waktu_sttp", "satuan_polisi")},
    "bentuk": "tertulis",
    "perihal": "Permohonan pembangunan jembatan Desa Sebamban",
    "perkiraan_peserta": 3,
    "tempat_atau_rute": "Diserahkan di Sekretariat DPRD",
}


@pytest.fixture(scope="module")
def working_day_registry(tmp_path_factory) -> ProcessRegistry:
    """The diagram as an office that chose working days has it: one line of the start script changed."""
    root = tmp_path_factory.mktemp("kantor_hari_kerja")
    shutil.copytree(ROOT / "processes", root / "processes")
    shutil.copytree(ROOT / "forms", root / "forms")
    diagram = root / "processes" / "aspirasi.bpmn"
    text = diagram.read_text(encoding="utf-8")
    assert text.count('satuan_batas = "hari_kalender"') == 1
    diagram.write_text(text.replace('satuan_batas = "hari_kalender"', 'satuan_batas = "hari_kerja"'), encoding="utf-8")
    return ProcessRegistry.from_directory(Path(root / "processes"), Path(root / "forms"))


@pytest.fixture
def run_working_days(working_day_registry, engine, clock):
    return lambda: Instance(engine, working_day_registry.latest("aspirasi"), clock)


def deadline(inst, data, registered, approved):
    inst.clock.set(registered)
    inst.start(dict(data))
    inst.at(approved).complete("persetujuan_sekretaris", SETUJUI)
    return inst.data["satuan_batas"], inst.data["batas_dihitung_dari"], inst.data["batas_penyelesaian"]


@pytest.mark.parametrize(
    ("waktu_rencana", "registered", "approved", "dari", "kalender", "kerja"),
    [
        # A letter handed over on Monday 30 March 2026, approved Wednesday 1 April: from the approval.
        # Calendar: Tuesday 7 April. Working days: 2, 6, 7, 9, 10, 13 April (3 April Good Friday,
        # 8 April Hari Jadi Tanah Bumbu in processes/hari_libur.json).
        ("2026-03-30T10:00:00+08:00", wita(3, 30, 10), wita(4, 1, 10), "persetujuan",
         "2026-04-07T16:00:00+08:00", "2026-04-13T16:00:00+08:00"),
        # A demonstration on Monday 6 April, approved Wednesday 1 April: from the event.
        # Calendar: Sunday 12 April. Working days: 7, 9, 10, 13, 14, 15 April.
        ("2026-04-06T09:00:00+08:00", wita(3, 30, 10), wita(4, 1, 10), "tanggal_kegiatan",
         "2026-04-12T16:00:00+08:00", "2026-04-15T16:00:00+08:00"),
        # An audience approved on Thursday 4 March 2027 for that same afternoon: from the approval.
        # Calendar: Wednesday 10 March 2027, Idul Fitri (calendar days do not skip holidays). Working
        # days: 5 March, then Nyepi 8 March and Idul Fitri with cuti bersama 9-15 March, so 16, 17, 18,
        # 19, 22 March.
        ("2027-03-04T08:00:00+08:00", datetime(2027, 3, 1, 9, tzinfo=WITA), datetime(2027, 3, 4, 10, tzinfo=WITA),
         "persetujuan", "2027-03-10T16:00:00+08:00", "2027-03-22T16:00:00+08:00"),
        # An audience planned for Friday 24 December 2027 (cuti bersama), approved on Monday 20 December:
        # from the event. Calendar: Thursday 30 December. Working days: 27, 28, 29, 30, 31 December 2027,
        # 3 January 2028.
        ("2027-12-24T09:00:00+08:00", datetime(2027, 12, 13, 9, tzinfo=WITA),
         datetime(2027, 12, 20, 10, tzinfo=WITA), "tanggal_kegiatan",
         "2027-12-30T16:00:00+08:00", "2028-01-03T16:00:00+08:00"),
    ],
)
def test_six_days_count_in_the_unit_the_office_chose_from_the_later_of_approval_and_event(
    run, run_working_days, waktu_rencana, registered, approved, dari, kalender, kerja
):
    data = {**SURAT, "waktu_rencana": waktu_rencana}
    assert deadline(run("aspirasi"), data, registered, approved) == ("hari_kalender", dari, kalender)
    assert deadline(run_working_days(), data, registered, approved) == ("hari_kerja", dari, kerja)


def test_an_event_planned_before_the_approval_counts_from_the_approval(run):
    # Approved at 11:00 for a demonstration that started at 09:00 the same day (the secretary signs late).
    inst = register(run, {**UNJUK_RASA, "waktu_sttp": "2026-04-02T09:00:00+08:00",
                          "waktu_rencana": "2026-04-06T09:00:00+08:00"})
    inst.at(wita(4, 6, 11)).complete("persetujuan_sekretaris", SETUJUI)
    assert inst.data["batas_dihitung_dari"] == "persetujuan"
    assert inst.data["mulai_batas"] == "2026-04-06T11:00:00+08:00"
    assert inst.data["batas_penyelesaian"] == "2026-04-12T16:00:00+08:00"
