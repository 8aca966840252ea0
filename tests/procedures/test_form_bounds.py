"""The procedures' dates stay within what can have happened: each bounded field of the real forms.

The clock is Tuesday 17 March 2026, 09:00 WIB. Each row gives a form's valid data with one date
moved out of its bounds, and the case data the step already has.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import FormInvalid

from .conftest import WIB
from .test_aspirasi import ARSIP as ARSIP_ASPIRASI
from .test_aspirasi import TINDAK_LANJUT
from .test_musrenbang import SIMDA, TERIMA_RW, USULAN
from .test_pengaduan import ARSIP, KOORDINASI, PENGADUAN

NOW = datetime(2026, 3, 17, 9, 0, tzinfo=WIB)
COMPLAINT = {"diterima_pada": "2026-03-10T09:00:00+07:00"}
PROPOSAL = {"tanggal_musyawarah_rt": "2026-01-14", "tanggal_musyawarah_rw": "2026-01-14"}
ASPIRATION = {"diregistrasi_pada": "2026-03-02T10:00:00+08:00"}
TARGET = TINDAK_LANJUT["komisi_3"]


def answered(date: str) -> dict:
    return {**KOORDINASI, "jawaban_opd": [{**KOORDINASI["jawaban_opd"][0], "tanggal": date}]}


# (process, task or None for the start form, data, case data so far, field at fault, words of the message)
OUT_OF_BOUNDS = [
    ("musrenbang", None, {**USULAN, "tanggal_musyawarah_rt": "2000-01-01"}, {}, "tanggal_musyawarah_rt",
     "tidak boleh sebelum 3 bulan yang lalu (17 Desember 2025)"),
    ("musrenbang", None, {**USULAN, "tanggal_musyawarah_rt": "2026-03-18"}, {}, "tanggal_musyawarah_rt",
     "tidak boleh setelah hari ini (17 Maret 2026)"),
    ("musrenbang", "verifikasi_rw", {**TERIMA_RW, "tanggal_musyawarah_rw": "2026-01-13"}, PROPOSAL,
     "tanggal_musyawarah_rw", "tidak boleh sebelum tanggal musyawarah RT (14 Januari 2026)"),
    ("musrenbang", "input_simda", {**SIMDA, "tanggal_input_simda": "2031-01-01"}, PROPOSAL, "tanggal_input_simda",
     "tidak boleh setelah hari ini (17 Maret 2026)"),
    ("pengaduan", None, {**PENGADUAN, "diterima_pada": "2026-04-02T09:00:00+07:00"}, {}, "diterima_pada",
     "tidak boleh setelah saat ini (17 Maret 2026 09:00 WIB)"),
    ("pengaduan", None, {**PENGADUAN, "diterima_pada": "1900-01-01T09:00:00+07:00"}, {}, "diterima_pada",
     "tidak boleh sebelum 30 hari yang lalu (15 Februari 2026 09:00 WIB)"),
    ("pengaduan", None, {**PENGADUAN, "diterima_pada": "2030-01-01T09:00:00+07:00"}, {}, "diterima_pada",
     "tidak boleh setelah saat ini"),
    ("pengaduan", "arsip_pengaduan", {**ARSIP, "tanggal_arsip": "2099-12-31"}, COMPLAINT, "tanggal_arsip",
     "tidak boleh setelah hari ini (17 Maret 2026)"),
    ("pengaduan", "arsip_pengaduan", {**ARSIP, "tanggal_arsip": "2026-03-09"}, COMPLAINT, "tanggal_arsip",
     "tidak boleh sebelum waktu diterima (10 Maret 2026 09:00 WIB)"),
    ("pengaduan", "koordinasi_lintas_opd", answered("1900-01-01"), COMPLAINT, "jawaban_opd.0.tanggal",
     "tidak boleh sebelum waktu diterima"),
    ("aspirasi", "terima_disposisi", {**TARGET, "target_tanggal": "2020-01-01"}, ASPIRATION, "target_tanggal",
     "tidak boleh sebelum hari ini (17 Maret 2026)"),
    ("aspirasi", "terima_disposisi", {**TARGET, "target_tanggal": "2028-01-01"}, ASPIRATION, "target_tanggal",
     "tidak boleh setelah 1 tahun dari sekarang (17 Maret 2027)"),
    ("aspirasi", "arsip_aspirasi", {**ARSIP_ASPIRASI, "tanggal_arsip": "2099-12-31"}, ASPIRATION, "tanggal_arsip",
     "tidak boleh setelah hari ini"),
]


def form_of(registry, process: str, task: str | None):
    version = registry.latest(process)
    return version.start.form if task is None else version.tasks[task].form


@pytest.mark.parametrize(("process", "task", "data", "case", "field", "words"), OUT_OF_BOUNDS,
                         ids=[f"{row[1] or row[0]}.{row[4]}-{i}" for i, row in enumerate(OUT_OF_BOUNDS)])
def test_given_a_date_outside_its_bounds_then_the_form_refuses_that_field_naming_the_bound(
        registry, clock, process, task, data, case, field, words):
    clock.set(NOW)
    form = form_of(registry, process, task)

    with pytest.raises(FormInvalid) as refused:
        form.validate(data, context=case)

    assert [e.field for e in refused.value.errors] == [field]
    assert words in refused.value.errors[0].message


@pytest.mark.parametrize(("process", "task", "data", "case"), [
    ("musrenbang", None, {**USULAN, "tanggal_musyawarah_rt": "2026-03-17"}, {}),
    ("musrenbang", "verifikasi_rw", {**TERIMA_RW, "tanggal_musyawarah_rw": "2026-01-14"}, PROPOSAL),
    ("pengaduan", None, {**PENGADUAN, "diterima_pada": "2026-03-17T09:04:00+07:00"}, {}),  # a computer's clock ahead
    ("pengaduan", "koordinasi_lintas_opd", answered("2026-03-10"), COMPLAINT),  # the same day as received
    ("aspirasi", "terima_disposisi", {**TARGET, "target_tanggal": "2026-03-17"}, ASPIRATION),
])
def test_given_dates_on_their_bounds_then_the_form_accepts_them(registry, clock, process, task, data, case):
    clock.set(NOW)

    form_of(registry, process, task).validate(data, context=case)
