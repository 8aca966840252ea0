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


BOUNDED = parse_form("uji/batas.schema.json", json.dumps({
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
        BOUNDED.validate(data)
    return {e.field: e.message for e in caught.value.errors}


def test_given_bounds_and_a_required_tick_when_broken_then_messages_say_what_is_wrong_in_indonesian_numbers():
    assert _messages({"tahun": 2027.5}) == {"tahun": "harus bilangan bulat, tanpa koma atau pecahan"}
    assert _messages({"biaya": 1e20}) == {"biaya": "tidak boleh lebih dari 1.000.000.000.000"}
    assert _messages({"volume": 0.25}) == {"volume": "harus lebih dari 0,5"}
    assert _messages({"tahun": 2200}) == {"tahun": "tidak boleh lebih dari 2100"}  # a year stays as written
    assert _messages({"setuju": False}) == {"setuju": "harus dicentang"}


def test_a_failed_rule_is_named_beside_the_message_but_the_api_answer_stays_field_and_message():
    with pytest.raises(FormInvalid) as caught:
        BOUNDED.validate({"tahun": "dua ribu"})
    error = caught.value.errors[0]
    assert error.rule == "type" and error.as_dict() == {"field": "tahun", "message": error.message}
