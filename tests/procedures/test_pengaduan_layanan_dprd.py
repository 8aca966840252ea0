"""Pengaduan layanan aspirasi (Sekretariat DPRD Kabupaten Tanah Bumbu): complaints about the
aspiration service itself go straight to the Sekretariat DPRD, as the standard's last line says.

The public sends it from the website (or the subsection records it); the Sekretaris DPRD answers,
the answer goes to the complainant; the Subbag Pengaduan dan Layanan Aspirasi archives it. The
standard sets no deadline for it, so nothing is timed.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import FormInvalid

from .conftest import WITA

PENGADUAN_LAYANAN = {
    "kanal": "website",
    "nama_pelapor": "Ahmad Rifani",
    "email": "amkh.kusanhulu@example.id",
    "perihal": "Tindak lanjut aspirasi jalan Kusan Hulu belum dikabarkan",
    "isi": "Sudah dua minggu sejak aspirasi kami diterima, belum ada kabar tindak lanjut dari Komisi III.",
    "kode_lacak_aspirasi": "ALR-7K2QD-M9X4P",
    "wilayah": "63.10",
}
TANGGAPAN = {
    "tanggapan": "Mohon maaf atas keterlambatan. Komisi III menjadwalkan rapat dengar pendapat pada 20 April 2026.",
    "tindakan_perbaikan": "Kasubbag mengingatkan sekretariat komisi setiap Senin.",
}
ARSIP = {"nomor_arsip": "ARS/PLA/2026/001", "tanggal_arsip": "2026-04-15"}


def test_a_complaint_about_the_aspiration_service_is_answered_by_the_secretary_and_archived(run):
    inst = run("pengaduan_layanan_dprd")
    inst.clock.set(datetime(2026, 4, 14, 10, 0, tzinfo=WITA))
    inst.start(dict(PENGADUAN_LAYANAN))
    assert inst.data["diterima_pada"] == "2026-04-14T10:00:00+08:00"
    assert inst.ready == ["tanggapi_pengaduan_layanan"]
    assert inst.lane_of("tanggapi_pengaduan_layanan") == "Sekretaris DPRD"
    assert inst.result.next_timer is None  # the standard sets no deadline for it

    inst.at(datetime(2026, 4, 15, 9, 0, tzinfo=WITA)).complete("tanggapi_pengaduan_layanan", TANGGAPAN)
    assert inst.sent() == [{"kode_lacak": None, "jenis": "tanggapan", "isi": TANGGAPAN["tanggapan"],
                            "email": "amkh.kusanhulu@example.id", "telepon": None}]
    assert inst.ready == ["arsip_pengaduan_layanan"]
    assert inst.lane_of("arsip_pengaduan_layanan") == "Subbag Pengaduan dan Layanan Aspirasi"

    inst.complete("arsip_pengaduan_layanan", ARSIP)
    assert inst.status == "complete"
    assert (inst.data["hasil"], inst.data["ditanggapi_pada"]) == ("selesai", "2026-04-15T09:00:00+08:00")


def test_the_complaint_names_a_tracking_code_or_nothing(run):
    without = {k: v for k, v in PENGADUAN_LAYANAN.items() if k != "kode_lacak_aspirasi"}
    assert run("pengaduan_layanan_dprd").start(without).ready == ["tanggapi_pengaduan_layanan"]
    with pytest.raises(FormInvalid) as refused:
        run("pengaduan_layanan_dprd").start({**PENGADUAN_LAYANAN, "kode_lacak_aspirasi": "demo jalan"})
    assert [e.field for e in refused.value.errors] == ["kode_lacak_aspirasi"]
