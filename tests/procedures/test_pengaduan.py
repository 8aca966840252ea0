"""Pengaduan (Baperlitbang Kabupaten Karanganyar): complaints, suggestions and input
about the planning service.

Recorded and classified by the complaint team; initial response within 1 working day;
analysis by the division's official; cross-OPD coordination when needed; final response
within 2 (internal) or 5 (cross-OPD) working days from receipt; reported to the Kepala
Baperlitbang and archived. Working days skip weekends, national holidays and cuti
bersama: around Nyepi and Idul Fitri 2026 that is 18-24 March.

Every waiting step is watched: classification and initial response together (the
"Tahap respon awal" box) by the 1-working-day deadline, the analysis by the internal
final deadline (2 working days), coordination and final response by the final deadline.
Each deadline that passes escalates to the Kepala exactly once; the deadlines already
escalated are recorded in the data object `batas_dieskalasi`, which every branch sees.
"""

from __future__ import annotations

from datetime import date, datetime

import holidays
import pytest

from engine import FormInvalid, WrongLane

from .conftest import WIB

PENGADUAN = {
    "kanal": "website",
    "diterima_pada": "2026-03-17T09:00:00+07:00",  # Tuesday
    "anonim": False,
    "rahasia": False,
    "nama_pelapor": "Sri Wahyuni",
    "email": "sri.wahyuni@example.id",
    "telepon": "081298765432",
    "perihal": "Jadwal musrenbang desa tidak diumumkan",
    "isi": "Warga RW 03 tidak mendapat undangan musyawarah desa tahun ini dan usulan kami tidak terbawa.",
    "lampiran": ["https://foto.example/undangan-rw03.jpg"],
    "wilayah": "33.13",
    "kode_lacak": "ADU-2026-000123",  # put in by the application layer
}
KLASIFIKASI = {
    "jenis": "pengaduan",
    "topik": "musrenbang",
    "kewenangan": "baperlitbang",
    "bidang_terkait": "baperlitbang_sosbud",
}
RESPON_AWAL = {"isi_respon_awal": "Pengaduan Anda kami terima dan sedang ditelaah bidang terkait."}
ANALISIS_INTERN = {
    "penanganan": "internal",
    "pejabat_analis": "Kepala Subbidang Perencanaan Pemerintahan",
    "hasil_analisis": "Undangan desa disebar lewat grup RT; RW 03 terlewat. Usulan masih dapat masuk lewat forum kecamatan.",
}
ANALISIS_LINTAS_OPD = {
    "penanganan": "lintas_opd",
    "pejabat_analis": "Kepala Subbidang Perencanaan Pemerintahan",
    "hasil_analisis": "Perlu klarifikasi Dinas PMD tentang jadwal musyawarah desa.",
    "opd_terkait": ["Dinas Pemberdayaan Masyarakat dan Desa"],
}
KOORDINASI = {
    "jawaban_opd": [
        {
            "opd": "Dinas Pemberdayaan Masyarakat dan Desa",
            "jawaban": "Desa diminta mengadakan musyawarah susulan untuk RW 03.",
            "tanggal": "2026-03-27",
        }
    ],
    "ringkasan_koordinasi": "Dinas PMD meminta desa mengadakan musyawarah susulan.",
}
RESPON_AKHIR = {
    "isi_respon_akhir": "Desa akan mengadakan musyawarah susulan untuk RW 03; usulan dapat diajukan di sana.",
    "tindak_lanjut": "Surat ke kepala desa.",
}
LAPORAN = {"laporan_diketahui": True, "catatan_kepala": "Pantau musyawarah susulan."}
ARSIP = {"nomor_arsip": "ADU/2026/III/0123", "tanggal_arsip": "2026-03-27", "lokasi_arsip": "Lemari 2, map Maret"}


def wib(day, hour, minute=0, month=3):
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def receive(run, data=None, at=None):
    inst = run("pengaduan")
    inst.clock.set(at or wib(17, 9))
    return inst.start(dict(PENGADUAN if data is None else data))


def test_the_2026_holidays_the_deadlines_skip_are_the_official_ones():
    found = holidays.country_holidays("ID", years=2026, categories=("public", "government"))
    march = {d: found.get(d) for d in found if d.month == 3}
    assert sorted(march) == [date(2026, 3, d) for d in (18, 19, 20, 21, 22, 23, 24)]
    assert "Joint Holiday" in found[date(2026, 3, 18)]  # cuti bersama Nyepi
    assert date(2026, 3, 19) in found  # Nyepi
    assert date(2026, 3, 20) in found and date(2026, 3, 21) in found  # Idul Fitri
    assert "Joint Holiday" in found[date(2026, 3, 23)] and "Joint Holiday" in found[date(2026, 3, 24)]


ESKALASI = {
    "eskalasi_respon_awal": {"tindakan_eskalasi_respon_awal": "ingatkan_petugas",
                             "arahan_eskalasi_respon_awal": "Klasifikasi dan balas pelapor hari ini."},
    "eskalasi_analisis": {"tindakan_eskalasi_analisis": "tangani_langsung",
                          "arahan_eskalasi_analisis": "Analisis saya ambil alih bersama Kabid."},
    "eskalasi_koordinasi": {"tindakan_eskalasi_koordinasi": "tangani_langsung",
                            "arahan_eskalasi_koordinasi": "Saya hubungi Kepala Dinas PMD."},
    "eskalasi_respon_akhir": {"tindakan_eskalasi_respon_akhir": "lainnya",
                              "arahan_eskalasi_respon_akhir": "Evaluasi beban kerja tim pengaduan."},
}  # fmt: skip
WATCH_RESPON_AWAL = "Lewat 1 hari kerja"
WATCH_ANALISIS = "Lewat 2 hari kerja"
WATCH_RESPON_AKHIR = "Lewat batas respon akhir"


def escalations(inst):
    """The escalation tasks the Kepala has handled, in order."""
    return [name for name in inst.done if name.startswith("eskalasi_")]


def escalate(inst, name):
    return inst.complete(name, ESKALASI[name])


def archived_today(inst) -> dict:
    """The archive record, dated on the clock's day: an archive date may not lie after today."""
    return {**ARSIP, "tanggal_arsip": inst.clock.now().astimezone(WIB).date().isoformat()}


def close(inst):
    inst.complete("laporan_kepala", LAPORAN)
    inst.complete("arsip_pengaduan", archived_today(inst))
    assert inst.status == "complete"
    return inst


def test_a_complaint_received_on_tuesday_17_march_2026_is_watched_from_receipt_until_its_initial_response(run):
    inst = receive(run)

    # 1 working day: 18-24 March are holidays, so 25 March; the internal final deadline is 26 March.
    assert inst.data["batas_respon_awal"] == "2026-03-25T16:00:00+07:00"
    assert inst.data["batas_respon_akhir_intern"] == "2026-03-26T16:00:00+07:00"
    assert inst.shared("batas_dieskalasi") == []
    # Classification already runs inside the initial-response phase, under its deadline.
    assert inst.ready == ["klasifikasi"]
    assert inst.lane_of("klasifikasi") == "Tim Pengaduan"
    assert inst.watches() == {WATCH_RESPON_AWAL: wib(25, 16)}
    assert inst.result.next_timer == wib(25, 16)
    assert inst.task("klasifikasi").due == wib(25, 16)  # the phase's deadline is each of its steps' due moment
    with pytest.raises(WrongLane):
        inst.complete("klasifikasi", KLASIFIKASI, lane="Kepala Baperlitbang")

    inst.at(wib(17, 10)).complete("klasifikasi", KLASIFIKASI)

    assert inst.ready == ["respon_awal"]
    assert inst.lane_of("respon_awal") == "Tim Pengaduan"
    assert inst.watches() == {WATCH_RESPON_AWAL: wib(25, 16)}  # the same watch, not a new one
    assert inst.task("respon_awal").due == wib(25, 16)
    assert "tahap_respon_awal" not in inst.completed_elements()


def test_a_complaint_handled_inside_baperlitbang_is_answered_within_two_working_days(run):
    inst = receive(run)
    inst.at(wib(17, 10)).complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 14)).complete("respon_awal", RESPON_AWAL)

    assert inst.data["respon_awal_pada"] == "2026-03-17T14:00:00+07:00"
    assert inst.data["respon_awal_tepat_waktu"] is True
    assert inst.sent() == [
        {
            "kode_lacak": "ADU-2026-000123",
            "jenis": "respon_awal",
            "isi": RESPON_AWAL["isi_respon_awal"],
            "email": "sri.wahyuni@example.id",
            "telepon": "081298765432",
        }
    ]
    assert "tahap_respon_awal" in inst.completed_elements()
    # The analysis is watched by the internal final deadline from the moment it opens.
    assert inst.ready == ["analisis"]
    assert inst.lane_of("analisis") == "Pejabat Analis"
    assert inst.task("analisis").due == wib(26, 16)
    assert inst.watches() == {WATCH_ANALISIS: wib(26, 16)}

    # 2 working days after Tuesday 17 March: 25 and 26 March (18-24 are holidays).
    inst.at(wib(25, 10)).complete("analisis", ANALISIS_INTERN)
    assert inst.data["analisis_selesai_pada"] == "2026-03-25T10:00:00+07:00"
    assert inst.data["analisis_tepat_waktu"] is True
    assert inst.data["hari_kerja_respon_akhir"] == 2
    assert inst.data["batas_respon_akhir"] == "2026-03-26T16:00:00+07:00"
    assert inst.ready == ["respon_akhir"]
    assert inst.task("respon_akhir").due == wib(26, 16)

    inst.at(wib(26, 15, 30)).complete("respon_akhir", RESPON_AKHIR)
    assert inst.data["respon_akhir_tepat_waktu"] is True
    assert inst.sent()[-1] == {
        "kode_lacak": "ADU-2026-000123",
        "jenis": "respon_akhir",
        "isi": RESPON_AKHIR["isi_respon_akhir"],
        "email": "sri.wahyuni@example.id",
        "telepon": "081298765432",
    }
    assert inst.ready == ["laporan_kepala"]
    assert inst.lane_of("laporan_kepala") == "Kepala Baperlitbang"
    assert inst.result.next_timer is None
    inst.at(wib(27, 9)).complete("laporan_kepala", LAPORAN)
    assert inst.ready == ["arsip_pengaduan"]
    inst.at(wib(27, 10)).complete("arsip_pengaduan", ARSIP)

    assert inst.status == "complete"
    assert inst.done == ["klasifikasi", "respon_awal", "analisis", "respon_akhir", "laporan_kepala", "arsip_pengaduan"]
    assert inst.fired_timers() == []
    assert inst.shared("batas_dieskalasi") == []
    assert len(inst.sent()) == 2
    assert {"kirim_respon_awal", "kirim_respon_akhir", "end_selesai"} <= inst.completed_elements()
    assert "koordinasi_lintas_opd" not in inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "selesai"
    assert data["batas_respon_awal"] == "2026-03-25T16:00:00+07:00"
    assert data["respon_awal_tepat_waktu"] is True
    assert data["batas_respon_akhir"] == "2026-03-26T16:00:00+07:00"
    assert data["respon_akhir_pada"] == "2026-03-26T15:30:00+07:00"
    assert data["respon_akhir_tepat_waktu"] is True
    assert data["nomor_arsip"] == "ADU/2026/III/0123"
    assert data["jenis"] == "pengaduan" and data["topik"] == "musrenbang"
    assert not [key for key in data if key.startswith("eskalasi_")]


def test_a_complaint_needing_cross_opd_coordination_is_answered_within_five_working_days(run):
    inst = receive(run)
    inst.at(wib(17, 10)).complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 11)).complete("respon_awal", RESPON_AWAL)
    inst.at(wib(25, 10)).complete("analisis", ANALISIS_LINTAS_OPD)

    # 5 working days after 17 March: 25, 26, 27, 30 and 31 March.
    assert inst.data["hari_kerja_respon_akhir"] == 5
    assert inst.data["batas_respon_akhir"] == "2026-03-31T16:00:00+07:00"
    assert inst.data["analisis_tepat_waktu"] is True
    assert inst.ready == ["koordinasi_lintas_opd"]
    assert inst.lane_of("koordinasi_lintas_opd") == "Penghubung Lintas OPD"
    assert inst.task("koordinasi_lintas_opd").due == wib(31, 16)

    inst.at(wib(30, 14)).complete("koordinasi_lintas_opd", KOORDINASI)
    assert inst.data["koordinasi_selesai_pada"] == "2026-03-30T14:00:00+07:00"
    assert inst.data["koordinasi_tepat_waktu"] is True
    assert inst.ready == ["respon_akhir"]
    assert inst.task("respon_akhir").due == wib(31, 16)
    inst.at(wib(31, 10)).complete("respon_akhir", RESPON_AKHIR)
    close(inst)

    assert inst.done == [
        "klasifikasi",
        "respon_awal",
        "analisis",
        "koordinasi_lintas_opd",
        "respon_akhir",
        "laporan_kepala",
        "arsip_pengaduan",
    ]
    assert inst.fired_timers() == []
    assert inst.shared("batas_dieskalasi") == []
    data = inst.data
    assert data["hasil"] == "selesai"
    assert data["respon_akhir_pada"] == "2026-03-31T10:00:00+07:00"
    assert data["respon_akhir_tepat_waktu"] is True
    assert data["opd_terkait"] == ["Dinas Pemberdayaan Masyarakat dan Desa"]
    assert data["jawaban_opd"][0]["opd"] == "Dinas Pemberdayaan Masyarakat dan Desa"
    assert [m["jenis"] for m in inst.sent()] == ["respon_awal", "respon_akhir"]


def test_a_complaint_outside_baperlitbangs_authority_is_forwarded_and_closed(run):
    inst = receive(run)
    inst.complete(
        "klasifikasi",
        {
            "jenis": "pengaduan",
            "topik": "lainnya",
            "kewenangan": "bukan_kewenangan",
            "diteruskan_ke": "Dinas Pekerjaan Umum dan Penataan Ruang",
            "catatan_klasifikasi": "Keluhan jalan rusak, bukan layanan perencanaan.",
        },
    )
    inst.at(wib(17, 13)).complete(
        "respon_awal",
        {
            "isi_respon_awal": "Pengaduan Anda bukan kewenangan Baperlitbang dan telah kami teruskan ke Dinas PUPR.",
        },
    )

    assert inst.ready == ["laporan_kepala"]  # no analysis, no final-response deadline
    assert inst.watches() == {}
    inst.complete("laporan_kepala", {"laporan_diketahui": True})
    inst.complete("arsip_pengaduan", archived_today(inst))

    assert inst.status == "complete"
    assert inst.done == ["klasifikasi", "respon_awal", "laporan_kepala", "arsip_pengaduan"]
    assert {"tandai_diteruskan", "end_selesai"} <= inst.completed_elements()
    assert "analisis" not in inst.completed_elements()
    data = inst.data
    assert data["hasil"] == "diteruskan"
    assert data["diteruskan_ke"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert data["diteruskan_pada"] == "2026-03-17T13:00:00+07:00"
    assert data["respon_awal_tepat_waktu"] is True
    assert "batas_respon_akhir" not in data
    assert [m["jenis"] for m in inst.sent()] == ["respon_awal"]


def test_an_unclassified_complaint_escalates_at_the_initial_deadline_not_when_someone_classifies_it(run):
    inst = receive(run)  # Tuesday 17 March 2026, nobody picks it up

    inst.at(wib(25, 16))  # the due moment itself is still on time
    assert inst.fired_timers() == []
    inst.at(wib(25, 16, 1))
    assert inst.fired_timers() == ["timer_respon_awal"]
    assert inst.ready == ["eskalasi_respon_awal", "klasifikasi"]
    assert inst.lane_of("eskalasi_respon_awal") == "Kepala Baperlitbang"
    assert inst.data["eskalasi_respon_awal_pada"] == "2026-03-25T16:01:00+07:00"
    assert inst.shared("batas_dieskalasi") == ["2026-03-25T16:00:00+07:00"]
    escalate(inst, "eskalasi_respon_awal")
    assert inst.ready == ["klasifikasi"]

    # Classified and answered only on Friday 10 April: no second escalation for the same deadline.
    inst.at(wib(10, 9, month=4)).complete("klasifikasi", KLASIFIKASI)
    assert inst.ready == ["respon_awal"]
    inst.at(wib(10, 9, 30, month=4)).complete("respon_awal", RESPON_AWAL)
    assert inst.data["respon_awal_pada"] == "2026-04-10T09:30:00+07:00"
    assert inst.data["respon_awal_tepat_waktu"] is False

    # The analysis opens long after its own deadline (26 March): that is another breach, escalated
    # as soon as the analysis is reached.
    assert inst.fired_timers() == ["timer_respon_awal", "timer_analisis"]
    assert inst.ready == ["analisis", "eskalasi_analisis"]
    assert inst.shared("batas_dieskalasi") == ["2026-03-25T16:00:00+07:00", "2026-03-26T16:00:00+07:00"]
    assert [e.task_name for e in inst.events if e.kind == "task_ready"].count("eskalasi_respon_awal") == 1


def test_a_late_initial_response_escalates_to_the_kepala_and_the_work_goes_on(run):
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)

    inst.at(wib(25, 16))
    assert inst.fired_timers() == []
    inst.at(wib(25, 16, 1))
    assert inst.fired_timers() == ["timer_respon_awal"]
    assert inst.ready == ["eskalasi_respon_awal", "respon_awal"]
    assert inst.lane_of("eskalasi_respon_awal") == "Kepala Baperlitbang"

    with pytest.raises(WrongLane):
        inst.complete("eskalasi_respon_awal", ESKALASI["eskalasi_respon_awal"], lane="Tim Pengaduan")
    inst.complete(
        "eskalasi_respon_awal",
        {
            "tindakan_eskalasi_respon_awal": "ingatkan_petugas",
            "arahan_eskalasi_respon_awal": "Balas pelapor hari ini juga.",
        },
    )
    inst.at(wib(26, 8, 30)).complete("respon_awal", RESPON_AWAL)

    assert inst.data["respon_awal_pada"] == "2026-03-26T08:30:00+07:00"
    assert inst.data["respon_awal_tepat_waktu"] is False
    assert [m["jenis"] for m in inst.sent()] == ["respon_awal"]
    assert inst.ready == ["analisis"]

    # The rest runs as usual; the final response is due 26 March (2 working days).
    inst.at(wib(26, 10)).complete("analisis", ANALISIS_INTERN)
    inst.at(wib(26, 11)).complete("respon_akhir", RESPON_AKHIR)
    close(inst)
    assert escalations(inst) == ["eskalasi_respon_awal"]
    assert inst.shared("batas_dieskalasi") == ["2026-03-25T16:00:00+07:00"]
    data = inst.data
    assert data["respon_awal_tepat_waktu"] is False
    assert data["respon_akhir_tepat_waktu"] is True
    assert data["eskalasi_respon_awal_pada"] == "2026-03-25T16:01:00+07:00"
    assert data["arahan_eskalasi_respon_awal"] == "Balas pelapor hari ini juga."


def test_an_analysis_still_open_after_two_working_days_escalates_once_and_not_again_at_the_final_response(run):
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 15)).complete("respon_awal", RESPON_AWAL)

    inst.at(wib(26, 16))
    assert inst.fired_timers() == []
    inst.at(wib(26, 16, 1))
    assert inst.fired_timers() == ["timer_analisis"]
    assert inst.ready == ["analisis", "eskalasi_analisis"]
    assert inst.lane_of("eskalasi_analisis") == "Kepala Baperlitbang"
    assert inst.data["eskalasi_analisis_pada"] == "2026-03-26T16:01:00+07:00"
    assert inst.shared("batas_dieskalasi") == ["2026-03-26T16:00:00+07:00"]

    # Handled inside Baperlitbang: the final response is due at that same, already escalated, deadline.
    inst.at(wib(27, 9)).complete("analisis", ANALISIS_INTERN)
    assert inst.data["analisis_tepat_waktu"] is False
    assert inst.data["batas_respon_akhir"] == "2026-03-26T16:00:00+07:00"
    assert inst.task("respon_akhir").due == wib(26, 16)
    inst.at(wib(27, 9, 1))
    assert inst.fired_timers() == ["timer_analisis", "timer_respon_akhir"]
    assert inst.ready == ["eskalasi_analisis", "respon_akhir"]  # no eskalasi_respon_akhir
    assert "end_tanpa_eskalasi_ulang" in inst.completed_elements()

    inst.at(wib(27, 10)).complete("respon_akhir", RESPON_AKHIR)
    escalate(inst, "eskalasi_analisis")
    close(inst)
    assert escalations(inst) == ["eskalasi_analisis"]
    assert "catat_eskalasi_respon_akhir" not in inst.completed_elements()
    assert inst.shared("batas_dieskalasi") == ["2026-03-26T16:00:00+07:00"]
    data = inst.data
    assert data["respon_akhir_pada"] == "2026-03-27T10:00:00+07:00"
    assert data["respon_akhir_tepat_waktu"] is False
    assert data["arahan_eskalasi_analisis"] == ESKALASI["eskalasi_analisis"]["arahan_eskalasi_analisis"]
    assert "eskalasi_respon_akhir_pada" not in data


def test_a_late_internal_final_response_after_a_timely_analysis_escalates_to_the_kepala(run):
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 15)).complete("respon_awal", RESPON_AWAL)
    inst.at(wib(25, 10)).complete("analisis", ANALISIS_INTERN)
    assert inst.watches() == {WATCH_RESPON_AKHIR: wib(26, 16)}

    inst.at(wib(26, 16, 1))
    assert inst.fired_timers() == ["timer_respon_akhir"]
    assert inst.ready == ["eskalasi_respon_akhir", "respon_akhir"]
    assert inst.lane_of("eskalasi_respon_akhir") == "Kepala Baperlitbang"
    assert inst.shared("batas_dieskalasi") == ["2026-03-26T16:00:00+07:00"]

    inst.at(wib(27, 10)).complete("respon_akhir", RESPON_AKHIR)
    escalate(inst, "eskalasi_respon_akhir")
    close(inst)
    assert escalations(inst) == ["eskalasi_respon_akhir"]
    assert "end_tanpa_eskalasi_ulang" not in inst.completed_elements()
    data = inst.data
    assert data["analisis_tepat_waktu"] is True
    assert data["respon_akhir_pada"] == "2026-03-27T10:00:00+07:00"
    assert data["respon_akhir_tepat_waktu"] is False
    assert data["eskalasi_respon_akhir_pada"] == "2026-03-26T16:01:00+07:00"
    assert data["respon_awal_tepat_waktu"] is True
    assert data["hasil"] == "selesai"


def test_cross_opd_coordination_on_time_but_a_late_final_response_escalates_at_the_final_response(run):
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 15)).complete("respon_awal", RESPON_AWAL)
    inst.at(wib(25, 10)).complete("analisis", ANALISIS_LINTAS_OPD)
    inst.at(wib(30, 14)).complete("koordinasi_lintas_opd", KOORDINASI)
    assert inst.data["koordinasi_tepat_waktu"] is True
    assert inst.task("respon_akhir").due == wib(31, 16)

    inst.at(wib(31, 16))
    assert inst.fired_timers() == []
    inst.at(wib(31, 16, 1))
    assert inst.fired_timers() == ["timer_respon_akhir"]
    assert inst.ready == ["eskalasi_respon_akhir", "respon_akhir"]
    assert inst.shared("batas_dieskalasi") == ["2026-03-31T16:00:00+07:00"]

    inst.at(wib(1, 10, month=4)).complete("respon_akhir", RESPON_AKHIR)  # Wednesday 1 April
    escalate(inst, "eskalasi_respon_akhir")
    close(inst)
    assert escalations(inst) == ["eskalasi_respon_akhir"]
    assert {"catat_eskalasi_respon_akhir", "end_eskalasi_respon_akhir"} <= inst.completed_elements()
    data = inst.data
    assert data["penanganan"] == "lintas_opd"
    assert data["koordinasi_tepat_waktu"] is True
    assert data["respon_akhir_pada"] == "2026-04-01T10:00:00+07:00"
    assert data["respon_akhir_tepat_waktu"] is False
    assert data["eskalasi_respon_akhir_pada"] == "2026-03-31T16:01:00+07:00"


def test_overdue_cross_opd_coordination_escalates_once_not_again_at_the_final_response(run):
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 15)).complete("respon_awal", RESPON_AWAL)
    inst.at(wib(25, 10)).complete("analisis", ANALISIS_LINTAS_OPD)

    inst.at(wib(1, 8, month=4))  # Wednesday 1 April, the 31 March deadline has passed
    assert inst.fired_timers() == ["timer_koordinasi"]
    assert inst.ready == ["eskalasi_koordinasi", "koordinasi_lintas_opd"]
    assert inst.lane_of("eskalasi_koordinasi") == "Kepala Baperlitbang"
    assert inst.shared("batas_dieskalasi") == ["2026-03-31T16:00:00+07:00"]
    escalate(inst, "eskalasi_koordinasi")

    inst.at(wib(1, 14, month=4)).complete("koordinasi_lintas_opd", KOORDINASI)
    assert inst.data["koordinasi_tepat_waktu"] is False
    inst.at(wib(1, 14, 5, month=4))  # the final-response timer is overdue too
    assert inst.fired_timers() == ["timer_koordinasi", "timer_respon_akhir"]
    assert inst.ready == ["respon_akhir"]  # already escalated: no second escalation task
    assert "end_tanpa_eskalasi_ulang" in inst.completed_elements()

    inst.at(wib(2, 9, month=4)).complete("respon_akhir", RESPON_AKHIR)
    close(inst)
    assert escalations(inst) == ["eskalasi_koordinasi"]
    assert "eskalasi_respon_akhir" not in inst.completed_elements()
    assert inst.shared("batas_dieskalasi") == ["2026-03-31T16:00:00+07:00"]
    assert inst.data["batas_respon_akhir"] == "2026-03-31T16:00:00+07:00"
    assert inst.data["respon_akhir_tepat_waktu"] is False
    assert inst.data["eskalasi_koordinasi_pada"] == "2026-04-01T08:00:00+07:00"


def test_a_complaint_late_at_every_step_escalates_each_deadline_exactly_once(run):
    inst = receive(run)

    inst.at(wib(25, 16, 1))  # nobody classified it
    escalate(inst, "eskalasi_respon_awal")
    inst.at(wib(26, 9)).complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(26, 9, 30)).complete("respon_awal", RESPON_AWAL)
    inst.at(wib(26, 16, 1))  # the analysis is not done either
    escalate(inst, "eskalasi_analisis")
    inst.at(wib(30, 9)).complete("analisis", ANALISIS_LINTAS_OPD)
    assert inst.task("koordinasi_lintas_opd").due == wib(31, 16)
    inst.at(wib(31, 16, 1))  # nor the coordination
    escalate(inst, "eskalasi_koordinasi")
    inst.at(wib(1, 10, month=4)).complete("koordinasi_lintas_opd", KOORDINASI)
    inst.at(wib(1, 10, 1, month=4))  # the final response opens overdue: its deadline is escalated already
    assert inst.ready == ["respon_akhir"]
    inst.at(wib(2, 9, month=4)).complete("respon_akhir", RESPON_AKHIR)
    close(inst)

    assert inst.fired_timers() == ["timer_respon_awal", "timer_analisis", "timer_koordinasi", "timer_respon_akhir"]
    assert escalations(inst) == ["eskalasi_respon_awal", "eskalasi_analisis", "eskalasi_koordinasi"]
    assert inst.shared("batas_dieskalasi") == [
        "2026-03-25T16:00:00+07:00",  # initial response, 1 working day
        "2026-03-26T16:00:00+07:00",  # internal final deadline, 2 working days
        "2026-03-31T16:00:00+07:00",  # cross-OPD final deadline, 5 working days
    ]
    data = inst.data
    assert [data[f"{name}_pada"] for name in escalations(inst)] == [
        "2026-03-25T16:01:00+07:00",
        "2026-03-26T16:01:00+07:00",
        "2026-03-31T16:01:00+07:00",
    ]
    assert (data["respon_awal_tepat_waktu"], data["analisis_tepat_waktu"]) == (False, False)
    assert (data["koordinasi_tepat_waktu"], data["respon_akhir_tepat_waktu"]) == (False, False)
    assert data["hasil"] == "selesai"


def test_a_late_analysis_completed_before_its_timer_fired_still_escalates_its_deadline_exactly_once(run):
    """Whether the analysis timer fires before the late completion or the final-response timer
    fires after it, the 26 March deadline produces one escalation, never zero or two."""
    inst = receive(run)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.at(wib(17, 15)).complete("respon_awal", RESPON_AWAL)

    inst.clock.set(wib(27, 9))  # late, and no timer run has happened since 26 March 16:00
    inst.complete("analisis", ANALISIS_INTERN)
    inst.at(wib(27, 9))

    open_escalations = [name for name in inst.ready if name.startswith("eskalasi_")]
    assert len(open_escalations) == 1, inst.ready
    assert open_escalations[0] in ("eskalasi_analisis", "eskalasi_respon_akhir")
    assert inst.shared("batas_dieskalasi") == ["2026-03-26T16:00:00+07:00"]
    assert "respon_akhir" in inst.ready
    assert inst.data["analisis_tepat_waktu"] is False


def test_an_anonymous_confidential_complaint_without_contact_is_answered_by_tracking_code_only(run):
    data = {k: v for k, v in PENGADUAN.items() if k not in ("nama_pelapor", "email", "telepon")}
    data.update({"anonim": True, "rahasia": True, "kanal": "sms_whatsapp"})
    inst = receive(run, data)
    inst.complete("klasifikasi", KLASIFIKASI)
    inst.complete("respon_awal", RESPON_AWAL)

    assert inst.data["anonim"] is True and inst.data["rahasia"] is True
    assert inst.sent() == [
        {
            "kode_lacak": "ADU-2026-000123",
            "jenis": "respon_awal",
            "isi": RESPON_AWAL["isi_respon_awal"],
            "email": None,
            "telepon": None,
        }
    ]


def test_a_website_complaint_sent_on_a_holiday_evening_is_received_at_that_moment(run):
    data = {k: v for k, v in PENGADUAN.items() if k not in ("diterima_pada",)}
    inst = receive(run, data, at=wib(20, 19, 30))  # Friday 20 March, Idul Fitri cuti bersama

    assert inst.data["diterima_pada"] == "2026-03-20T19:30:00+07:00"
    assert inst.data["batas_respon_awal"] == "2026-03-25T16:00:00+07:00"
    assert inst.data["batas_respon_akhir_intern"] == "2026-03-26T16:00:00+07:00"
    assert inst.watches() == {WATCH_RESPON_AWAL: wib(25, 16)}


def test_the_complaint_form_needs_a_name_unless_anonymous_and_belongs_to_karanganyar(run):
    without_name = {k: v for k, v in PENGADUAN.items() if k != "nama_pelapor"}
    with pytest.raises(FormInvalid) as refused:
        receive(run, without_name)
    assert [e.field for e in refused.value.errors] == ["nama_pelapor"]

    with pytest.raises(FormInvalid) as refused:
        receive(run, {**PENGADUAN, "wilayah": "63.10", "diterima_pada": "2026-03-17 09:00"})
    errors = {e.field: e.message for e in refused.value.errors}
    assert sorted(errors) == ["diterima_pada", "wilayah"]
    assert "33.13" in errors["wilayah"]
    assert "zona waktu" in errors["diterima_pada"]


@pytest.mark.parametrize("bidang", ["baperlitbang_infrastruktur", "baperlitbang_ekonomi", "baperlitbang_sosbud",
                                    "baperlitbang_litbang", "baperlitbang_sekretariat"])
def test_the_analysis_goes_to_the_division_chosen_at_classification(run, bidang):
    inst = receive(run)
    inst.at(wib(17, 10)).complete("klasifikasi", {**KLASIFIKASI, "bidang_terkait": bidang})
    inst.complete("respon_awal", RESPON_AWAL)
    assert inst.ready == ["analisis"]
    assert inst.lane_of("analisis") == "Pejabat Analis"
    assert inst.task("analisis").unit == bidang  # in the inbox of that division's Pejabat Analis


def test_a_division_outside_baperlitbang_cannot_be_chosen(run):
    inst = receive(run)
    with pytest.raises(FormInvalid) as refused:
        inst.complete("klasifikasi", {**KLASIFIKASI, "bidang_terkait": "Bidang Perencanaan Pembangunan"})
    assert [e.field for e in refused.value.errors] == ["bidang_terkait"]


def test_a_complaint_may_name_the_tracking_code_of_the_case_it_is_about(run):
    # The code is checked and linked by the application (it knows the cases); the diagram keeps the field.
    inst = receive(run, {**PENGADUAN, "kode_lacak_terkait": "ALR-7K2QD-M9X4P"})
    assert inst.data["kode_lacak_terkait"] == "ALR-7K2QD-M9X4P"
    with pytest.raises(FormInvalid) as refused:
        receive(run, {**PENGADUAN, "kode_lacak_terkait": "usulan jalan RT 1"})
    assert [e.field for e in refused.value.errors] == ["kode_lacak_terkait"]
