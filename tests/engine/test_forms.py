"""Form data is checked against the task's JSON Schema; every error names its field in Indonesian."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from engine import FixedClock, FormFileError, FormInvalid, date_hint, use_clock
from engine.forms import parse_form

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["judul", "biaya", "kontak"],
    "properties": {
        "judul": {"type": "string", "title": "Judul usulan", "minLength": 5},
        "biaya": {"type": "number", "title": "Perkiraan biaya", "minimum": 0},
        "urgensi": {"enum": ["rendah", "sedang", "tinggi"]},
        "kontak": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string", "format": "email", "title": "Email"}},
        },
        "tanggal": {"type": "string", "format": "date"},
        "lampiran": {"type": "array", "items": {"type": "string", "maxLength": 10}},
    },
}
form = parse_form("uji/usulan.schema.json", json.dumps(SCHEMA))


def errors_of(data):
    with pytest.raises(FormInvalid) as refused:
        form.validate(data)
    return {e.field: e.message for e in refused.value.errors}


def test_valid_data_passes():
    form.validate({"judul": "Jalan desa", "biaya": 0, "kontak": {"email": "a@b.id"}, "tanggal": "2026-03-17"})


def test_every_error_is_reported_with_its_field_path():
    assert errors_of(
        {"judul": "abc", "biaya": -1, "urgensi": "darurat", "kontak": {}, "tanggal": "17/03/2026",
         "lampiran": ["foto.jpg", "dokumen-panjang.pdf"]}
    ) == {
        "judul": "minimal 5 karakter",
        "biaya": "tidak boleh kurang dari 0",
        "urgensi": "pilihan tidak dikenal; pilih salah satu: rendah, sedang, tinggi",
        "kontak.email": "Email wajib diisi",
        "tanggal": "bukan tanggal yang sah",
        "lampiran.1": "maksimal 10 karakter",
    }


def test_missing_fields_are_named_by_their_title():
    assert errors_of({"kontak": {"email": "bukan-email"}}) == {
        "judul": "Judul usulan wajib diisi",
        "biaya": "Perkiraan biaya wajib diisi",
        "kontak.email": "bukan alamat email yang sah",
    }


def test_wrong_types_are_explained():
    assert errors_of({"judul": 12345, "biaya": "mahal", "kontak": {"email": "a@b.id"}}) == {
        "judul": "harus bertipe teks",
        "biaya": "harus bertipe angka",
    }


def test_a_broken_schema_file_is_refused_with_its_name():
    with pytest.raises(FormFileError, match="uji/rusak.schema.json"):
        parse_form("uji/rusak.schema.json", '{"type": "objek"}')
    with pytest.raises(FormFileError, match="baris 1"):
        parse_form("uji/rusak.schema.json", "{bukan json")


def test_a_broken_schema_is_refused_every_time_and_a_sound_one_accepted_every_time():
    """The metaschema check is remembered for sound texts only: a broken file never passes on a second look."""
    for _ in range(2):
        with pytest.raises(FormFileError, match="bukan JSON Schema yang sah"):
            parse_form("uji/rusak.schema.json", '{"type": "objek"}')
        assert parse_form("uji/baik.schema.json", '{"type": "object"}').schema == {"type": "object"}


def test_personal_fields_are_found_by_their_marker():
    marked = parse_form("x.json", json.dumps({"properties": {"nama": {"x-alur-personal": True}, "isi": {}}}))
    assert marked.fields_marked("x-alur-personal") == ["nama"]


LIMITED = parse_form("uji/batas.schema.json", json.dumps({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "tahun": {"type": "integer", "title": "Tahun", "minimum": 2024, "maximum": 2100},
        "biaya": {"type": "number", "title": "Biaya", "maximum": 1_000_000_000_000},
        "volume": {"type": "number", "title": "Volume", "exclusiveMinimum": 0.5},
        "setuju": {"type": "boolean", "title": "Saya menyatakan data benar", "const": True},
    },
}))


def _messages(data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        LIMITED.validate(data)
    return {e.field: e.message for e in caught.value.errors}


def test_given_bounds_and_a_required_tick_when_broken_then_messages_say_what_is_wrong_in_indonesian_numbers():
    assert _messages({"tahun": 2027.5}) == {"tahun": "harus bilangan bulat, tanpa koma atau pecahan"}
    assert _messages({"biaya": 1e20}) == {"biaya": "tidak boleh lebih dari 1.000.000.000.000"}
    assert _messages({"volume": 0.25}) == {"volume": "harus lebih dari 0,5"}
    assert _messages({"tahun": 2200}) == {"tahun": "tidak boleh lebih dari 2100"}  # a year stays as written
    assert _messages({"setuju": False}) == {"setuju": "harus dicentang"}


def test_a_failed_rule_is_named_beside_the_message_but_the_api_answer_stays_field_and_message():
    with pytest.raises(FormInvalid) as caught:
        LIMITED.validate({"tahun": "dua ribu"})
    error = caught.value.errors[0]
    assert error.rule == "type" and error.as_dict() == {"field": "tahun", "message": error.message}


NOT_FINITE = "harus berupa angka yang sah (NaN dan Infinity tidak diterima)"


def error_pairs(data) -> list[tuple[str, str]]:
    with pytest.raises(FormInvalid) as refused:
        form.validate(data)
    return [(e.field, e.message) for e in refused.value.errors]


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_given_a_non_finite_number_then_its_field_is_refused_though_no_bound_would_catch_it(number):
    valid = {"judul": "Jalan desa", "kontak": {"email": "a@b.id"}}

    assert ("biaya", NOT_FINITE) in error_pairs({**valid, "biaya": number})
    assert ("lampiran.1", NOT_FINITE) in error_pairs({**valid, "biaya": 1, "lampiran": ["ok", number]})


# -- date bounds: x-alur-not-before / -not-after, relative to now or to another field ----------------------

BOUNDED = parse_form("uji/jadwal.schema.json", json.dumps({
    "type": "object",
    "properties": {
        "rapat": {"type": "string", "format": "date", "title": "Tanggal rapat",
                  "x-alur-not-before": "P1Y", "x-alur-not-after": "now"},
        "tindak_lanjut": {"type": "string", "format": "date", "title": "Tindak lanjut",
                          "x-alur-not-before-field": "rapat", "x-alur-not-after": "P2W"},
        "dicatat": {"type": "string", "format": "date-time", "x-alur-not-after": "now"},
    },
}))


@pytest.fixture
def march_17():
    with use_clock(FixedClock(datetime(2026, 3, 17, 9, 0, tzinfo=timezone(timedelta(hours=7))))) as clock:
        yield clock


def bound_errors_of(data, context=None) -> dict[str, str]:
    try:
        BOUNDED.validate(data, context=context)
    except FormInvalid as refused:
        return {e.field: e.message for e in refused.errors}
    return {}


def test_given_bounds_relative_to_now_then_dates_on_them_pass_and_beyond_them_are_refused(march_17):
    assert bound_errors_of({"rapat": "2025-03-17"}) == {}
    assert bound_errors_of({"rapat": "2025-03-16"}) == {"rapat": "tidak boleh sebelum 1 tahun yang lalu (17 Maret 2025)"}
    assert bound_errors_of({"rapat": "2026-03-18"}) == {"rapat": "tidak boleh setelah hari ini (17 Maret 2026)"}
    assert bound_errors_of({"dicatat": "2026-03-17T09:05:00+07:00"}) == {}  # another computer's clock, a bit ahead
    assert bound_errors_of({"dicatat": "2026-03-17T09:06:00+07:00"}) == {
        "dicatat": "tidak boleh setelah saat ini (17 Maret 2026 09:00 WIB)"}


def test_given_a_bound_by_another_field_then_it_is_read_from_the_data_else_the_case_and_absent_it_bounds_nothing(
        march_17):
    assert bound_errors_of({"rapat": "2026-03-10", "tindak_lanjut": "2026-03-09"}) == {
        "tindak_lanjut": "tidak boleh sebelum tanggal rapat (10 Maret 2026)"}
    assert bound_errors_of({"tindak_lanjut": "2026-03-09"}, context={"rapat": "2026-03-10"}) == {
        "tindak_lanjut": "tidak boleh sebelum tanggal rapat (10 Maret 2026)"}
    assert bound_errors_of({"tindak_lanjut": "2026-03-09"}) == {}
    assert bound_errors_of({"tindak_lanjut": "2026-04-01"}) == {
        "tindak_lanjut": "tidak boleh setelah 2 minggu dari sekarang (31 Maret 2026)"}


def test_given_a_bounded_field_then_its_hint_names_the_bounds(march_17):
    spec = BOUNDED.schema["properties"]
    assert date_hint(spec["rapat"]) == "paling awal 1 tahun yang lalu (17 Maret 2025) · paling lambat hari ini (17 Maret 2026)"
    assert date_hint(spec["tindak_lanjut"], BOUNDED.titles) == (
        "paling awal tanggal rapat · paling lambat 2 minggu dari sekarang (31 Maret 2026)")
