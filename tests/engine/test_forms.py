"""Form data is checked against the task's JSON Schema; every error names its field in Indonesian."""

from __future__ import annotations

import json

import pytest

from engine import FormFileError, FormInvalid
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
