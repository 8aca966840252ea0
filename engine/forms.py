"""Task forms: JSON Schema (+ UI schema) files referenced from the diagram.

A user task names its form with the spiff properties `formJsonSchemaFilename` and
`formUiSchemaFilename`, relative to the forms folder. Submitted data is checked with
`jsonschema` (draft 2020-12) and every error comes back with its field path and an
Indonesian message, ready for a 422 response.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from engine.form_bounds import annotation_problems, bound_errors

SCHEMA_PROPERTY = "formJsonSchemaFilename"
UI_SCHEMA_PROPERTY = "formUiSchemaFilename"
# A human task's target unit (OPD, bidang, Komisi): the name of the data field that holds the unit code.
# The inbox narrows such a task to holders of the lane's role in that unit.
UNIT_PROPERTY = "unitField"
# On a message catch event: the data field whose value an incoming message must carry under the same key.
CORRELATION_PROPERTY = "correlationField"
# On a message catch event: data fields shown to the process that decides on what waits there (comma list).
WAIT_FIELDS_PROPERTY = "batchFields"
# What the public reads on the tracking page while a step waits; a step without it is internal and not shown.
PUBLIC_STATUS_PROPERTY = "publicStatus"
# On a form field: the name of a data file beside the diagrams (`data_lookup`) whose top-level keys are the only
# values the field accepts, e.g. the years a yearly calendar knows.
DATA_KEY_KEYWORD = "x-alur-data-key"
# Digests of schema texts that passed the metaschema check (about 6 ms a form): a sync, a deploy's lint
# and the modeler's live lint see the same form texts again and again. Only passes are remembered.
_SOUND_SCHEMAS: set[str] = set()
_SOUND_SCHEMAS_SIZE = 4096
_SOUND_LOCK = threading.Lock()


class FormFileError(ValueError):
    """A form file that is missing, not JSON, or not a valid JSON Schema."""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    # The schema keyword that failed (format, pattern, type...): a page may word it for its own inputs.
    rule: str = dataclasses.field(default="", compare=False)  # `field` here would be the attribute above

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class FormInvalid(Exception):
    """Submitted data does not satisfy the form; `errors` lists every field problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class FormRef:
    """A task's form: the schema (and UI schema) with the file names they came from."""

    schema_file: str
    schema: dict[str, Any]
    ui_schema_file: str | None = None
    ui_schema: dict[str, Any] = field(default_factory=dict)
    # Titles of the fields every form of the process asks, by name: a date bound may name one of them.
    case_titles: Mapping[str, str] = field(default_factory=dict, compare=False)

    @cached_property
    def _validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=FormatChecker())

    def validate(self, data: Any, context: Mapping[str, Any] | None = None) -> None:
        """Raise FormInvalid with every error (not only the first).

        `context` is the case data so far, which a date bound may name (`x-alur-not-before-field`)."""
        errors = sorted(self._validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        found = [FieldError(path or "(formulir)", NOT_FINITE) for path in non_finite_paths(data)]
        found += [_field_error(e, self.schema) for e in errors]
        if isinstance(data, Mapping):
            bounds = bound_errors(self.schema, data, context, self.titles)
            found += [FieldError(path, message) for path, message in bounds]
        found = list(dict.fromkeys(found))  # one line per distinct error
        if found:
            raise FormInvalid(found)

    @property
    def titles(self) -> dict[str, str]:
        """Field titles by name: this form's, else those of the process's other forms."""
        own = {n: s["title"] for n, s in self.schema.get("properties", {}).items()
               if isinstance(s, dict) and isinstance(s.get("title"), str)}
        return {**self.case_titles, **own}

    def fields_marked(self, keyword: str) -> list[str]:
        """Top-level property names carrying a custom keyword such as `x-alur-personal`."""
        props = self.schema.get("properties", {})
        return [name for name, spec in props.items() if isinstance(spec, dict) and spec.get(keyword)]

    def row_fields_marked(self, keyword: str) -> dict[str, list[str]]:
        """Per top-level list of objects (a batch list), the names of its row fields carrying the keyword."""
        found: dict[str, list[str]] = {}
        for name, spec in self.schema.get("properties", {}).items():
            items = spec.get("items") if isinstance(spec, dict) else None
            props = items.get("properties") if isinstance(items, dict) else None
            if isinstance(props, dict):
                marked = [row for row, sub in props.items() if isinstance(sub, dict) and sub.get(keyword)]
                if marked:
                    found[name] = marked
        return found


def data_key_errors(form: FormRef, data: Any, keys_of: Callable[[str], list[str] | None],
                    already: Set[str] = frozenset()) -> list[FieldError]:
    """A field marked `x-alur-data-key` whose value is no key of that data file, naming the keys it has.

    Fields in `already` (refused by the form itself) are left alone: one message per field is enough.
    """
    if not isinstance(data, Mapping):
        return []
    errors = []
    for name in form.fields_marked(DATA_KEY_KEYWORD):
        value = data.get(name)
        if name in already or value is None or isinstance(value, bool):
            continue
        source = str(form.schema["properties"][name][DATA_KEY_KEYWORD])
        known = keys_of(source)
        if known is None:
            errors.append(FieldError(name, f"data {source} tidak tersedia; nilai ini tidak dapat diperiksa"))
        elif str(value) not in known:
            errors.append(FieldError(name, f"{value} tidak ada dalam {source}; yang tersedia: {', '.join(known)}"))
    return errors


def parse_form(schema_file: str, schema_text: str, ui_file: str | None = None, ui_text: str | None = None) -> FormRef:
    """Build a FormRef from file contents, or raise FormFileError naming the file."""
    schema = load_form_json(schema_file, schema_text)
    _check_schema(schema_file, schema_text, schema)
    _check_annotations(schema_file, schema)
    ui_schema = load_form_json(ui_file, ui_text) if ui_file and ui_text is not None else {}
    return FormRef(schema_file, schema, ui_file, ui_schema)


def _check_schema(schema_file: str, schema_text: str, schema: dict[str, Any]) -> None:
    """Raise FormFileError unless `schema` (parsed from `schema_text`) is a valid draft 2020-12 schema."""
    digest = hashlib.sha256(schema_text.encode("utf-8", "surrogatepass")).hexdigest()
    if digest in _SOUND_SCHEMAS:
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(akar)"
        raise FormFileError(f"{schema_file}: bukan JSON Schema yang sah di {path}: {exc.message}") from exc
    except RecursionError as exc:  # parsed, but too deep for the schema checker
        raise FormFileError(_too_deep(schema_file)) from exc
    with _SOUND_LOCK:
        if len(_SOUND_SCHEMAS) >= _SOUND_SCHEMAS_SIZE:
            _SOUND_SCHEMAS.clear()
        _SOUND_SCHEMAS.add(digest)


def _check_annotations(schema_file: str, schema: dict[str, Any]) -> None:
    """Raise FormFileError naming the field whose Alur annotations (date bounds) are malformed."""
    found = []
    for name, spec in _annotated_fields(schema):
        found += [f"isian {name}: {problem}" for problem in annotation_problems(spec)]
    if found:
        raise FormFileError(f"{schema_file}: " + "; ".join(found))


def _annotated_fields(schema: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    props = schema.get("properties")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for name, spec in (props.items() if isinstance(props, Mapping) else []):
        if isinstance(spec, Mapping):
            out.append((prefix + name, spec))
            if isinstance(spec.get("items"), Mapping):
                out += _annotated_fields(spec["items"], f"{prefix}{name}[].")
    return out


def load_form_json(name: str | None, text: str | None) -> dict[str, Any]:
    """A form file's JSON object, or FormFileError naming the file (never a crash on hostile input)."""
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise FormFileError(f"{name}: baris {exc.lineno}: JSON tidak valid: {exc.msg}") from exc
    except RecursionError as exc:  # a small file can nest deeper than the parser's stack
        raise FormFileError(_too_deep(name)) from exc
    except ValueError as exc:  # e.g. a number too long to convert
        raise FormFileError(f"{name}: JSON tidak valid: {exc}") from exc
    if not isinstance(value, dict):
        raise FormFileError(f"{name}: isi berkas harus objek JSON")
    return value


# JSON Schema's "number" takes NaN and Infinity, and every bound lets NaN pass (NaN < 0 and NaN > 0 are false):
# stored, they would be shown as "nan" and written as the bare word NaN, which is not JSON.
NOT_FINITE = "harus berupa angka yang sah (NaN dan Infinity tidak diterima)"


def non_finite_paths(value: Any, path: tuple[Any, ...] = ()) -> list[str]:
    """Dotted paths of every NaN or infinite number in a JSON-like value ("" for the value itself)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [_dotted(list(path))]
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in non_finite_paths(item, (*path, key))]
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in non_finite_paths(item, (*path, i))]
    return []


def _too_deep(name: str | None) -> str:
    return f"{name}: berkas formulir bersarang terlalu dalam (terlalu banyak tingkat objek/daftar)"


def _field_title(schema: dict[str, Any], path: list[Any]) -> str | None:
    node: Any = schema
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
    return node.get("title") if isinstance(node, dict) else None


def _field_error(error: ValidationError, schema: dict[str, Any]) -> FieldError:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        path = [*path, missing]
        title = _field_title(schema, path) or missing
        return FieldError(_dotted(path), f"{title} wajib diisi")
    if error.validator == "additionalProperties":
        # additionalProperties fails only on an object, under an object schema
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        given = error.instance if isinstance(error.instance, Mapping) else {}
        extra = ", ".join(sorted(set(given) - set(known)))
        return FieldError(_dotted(path) or "(formulir)", f"isian tidak dikenal: {extra}")
    return FieldError(_dotted(path) or "(formulir)", _message(error), str(error.validator))


def _dotted(path: list[Any]) -> str:
    return ".".join(str(p) for p in path)


def _message(error: ValidationError) -> str:
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if isinstance(custom, str):
        return custom
    template = _MESSAGES.get(str(error.validator))
    return template(error.validator_value) if template else error.message


def indonesian_number(value: Any) -> str:
    """A number as Indonesians write it and the pages' number inputs read it back: 150.000.000, 12.345,25
    and 2,5; below 10.000 ungrouped, so a year such as 2027 stays as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # never stored, since forms refuse it; shown as it is rather than as a number
    if float(value).is_integer():
        return f"{value:,.0f}".replace(",", ".") if abs(value) >= 10_000 else f"{value:.0f}"
    whole, _, decimals = format(Decimal(repr(value)), "f").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".") if abs(int(whole)) >= 10_000 else whole
    return f"{grouped},{decimals}"


def _type_message(expected: Any) -> str:
    if expected == "integer":  # 2027.5: the bound is not what is wrong
        return "harus bilangan bulat, tanpa koma atau pecahan"
    return f"harus bertipe {_TYPE_NAMES.get(str(expected), expected)}"


def _const_message(expected: Any) -> str:
    if expected is True:  # a checkbox the form needs ticked (a statement the user confirms)
        return "harus dicentang"
    if expected is False:
        return "tidak boleh dicentang"
    return f"harus bernilai {indonesian_number(expected)}"


_MESSAGES: dict[str, Callable[[Any], str]] = {
    "type": _type_message,
    "minimum": lambda v: f"tidak boleh kurang dari {indonesian_number(v)}",
    "maximum": lambda v: f"tidak boleh lebih dari {indonesian_number(v)}",
    "exclusiveMinimum": lambda v: f"harus lebih dari {indonesian_number(v)}",
    "exclusiveMaximum": lambda v: f"harus kurang dari {indonesian_number(v)}",
    "minLength": lambda v: f"minimal {v} karakter",
    "maxLength": lambda v: f"maksimal {v} karakter",
    "pattern": lambda v: "formatnya tidak sesuai",
    "format": lambda v: f"bukan {_FORMAT_NAMES.get(str(v), v)} yang sah",
    "enum": lambda v: "pilihan tidak dikenal; pilih salah satu: " + ", ".join(map(str, v)),
    "const": _const_message,
    "minItems": lambda v: f"minimal {v} butir",
    "maxItems": lambda v: f"maksimal {v} butir",
    "uniqueItems": lambda v: "butir tidak boleh berulang",
    "oneOf": lambda v: "pilihan tidak dikenal",
    "anyOf": lambda v: "nilai tidak sesuai pilihan yang ada",
}
_TYPE_NAMES: dict[str, str] = {
    "string": "teks",
    "integer": "bilangan bulat",
    "number": "angka",
    "boolean": "ya/tidak",
    "array": "daftar",
    "object": "objek",
    "null": "kosong",
}
_FORMAT_NAMES: dict[str, str] = {
    "date": "tanggal",
    "date-time": "tanggal dan jam",
    "email": "alamat email",
    "uri": "alamat URL",
}
