"""Forms from JSON Schema + UI schema: fields to render, typed data from a POST, errors by field path.

Field names in the HTML are the data paths the engine reports errors on: `judul`,
`lampiran.0`, `jawaban_opd.1.opd`, so an error lands next to its input. Typed
strings become the schema's types (integer, number, boolean, array) before
validation; a value that does not convert stays as typed, so the user sees it
again, with the rule it broke (numbers: `read_number`) beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.datastructures import MultiDict

from api.zones import DEFAULT_ZONE, OFFSETS, offset
from engine import FieldError, FormRef, date_hint, indonesian_number

ZONE_SUFFIX = "__zona"
GENERAL = "(formulir)"
_LOCAL_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
# What a clerk types where the browser offers no date picker: 17/03/2026 09:00 (or 09.00), 17/03/2026.
_TYPED_DT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2})[:.](\d{2})$")
_TYPED_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_INDEX = re.compile(r"^(\d+)(?:\.(.+))?$")
# The page's own input formats, for the message of a moment or a date the validation refused: the form's
# errorMessage may show the ISO text scripts send, which no clerk types.
PAGE_FORMATS = {
    "datetime": "isi tanggal dan jam lengkap, misalnya 17/03/2026 09:00, lalu pilih zona waktunya",
    "date": "isi tanggal lengkap, misalnya 17/03/2026",
}


@dataclass
class Field:
    name: str  # the data path, also the input name
    title: str
    kind: str  # text textarea integer number date datetime email select radio checkbox checkboxes list objects
    spec: dict[str, Any]
    required: bool = False
    required_when: str = ""  # required only under a condition of the form (if/then/else): the condition in words
    description: str = ""
    placeholder: str = ""
    options: list[tuple[Any, str]] = field(default_factory=list)
    item: Field | None = None  # list: the item's field (name holds __i__)
    subfields: list[Field] = field(default_factory=list)  # objects: the fields of one item
    readonly: bool = False  # a column of a list shown, not set (`readOnly`, `ui:readonly`): the server fills it
    hint: str = ""  # the bounds of a number in words: "min 0 (tidak termasuk) · maks 1.000.000"
    # objects whose rows are the cases waiting for a batch step (`ui:widget` "batch", or the step's `batchField`):
    # a row added by hand could name no case, so none is offered; a row taken out is simply not decided now
    fixed_rows: bool = False
    bounds: str = ""  # a date's bounds in words (x-alur-not-before ...), the form's hint beside the input


def _options(spec: dict[str, Any]) -> list[tuple[Any, str]]:
    if "oneOf" in spec:
        choices = [o for o in spec["oneOf"] if isinstance(o, dict) and "const" in o]
        return [(o["const"], o.get("title", str(o["const"]))) for o in choices]
    if "enum" in spec:
        return [(v, str(v)) for v in spec["enum"]]
    return []


def is_hidden(spec: dict[str, Any], ui: dict[str, Any]) -> bool:
    return ui.get("ui:widget") == "hidden" or bool(spec.get("readOnly"))


def ordered(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    props = list(schema.get("properties", {}))
    order = [n for n in ui.get("ui:order", []) if n in props]
    return order + [n for n in props if n not in order]


def build_field(name: str, spec: dict[str, Any], ui: dict[str, Any], required: bool) -> Field:
    kind_of = spec.get("type")
    widget = ui.get("ui:widget")
    options = _options(spec)
    made = Field(name=name, title=spec.get("title", name.rsplit(".", 1)[-1]), kind="text", spec=spec,
                 required=required, description=spec.get("description", ""),
                 placeholder=ui.get("ui:placeholder", ""), options=options,
                 readonly=bool(spec.get("readOnly") or ui.get("ui:readonly")))
    if kind_of == "array" and isinstance(spec.get("items"), dict):
        items, item_ui = spec["items"], ui.get("items", {}) if isinstance(ui.get("items"), dict) else {}
        if _options(items):
            made.kind, made.options = "checkboxes", _options(items)
        elif items.get("type") == "object":
            made.kind = "objects"
            made.fixed_rows = widget == "batch"
            inner, inner_when = set(items.get("required", [])), required_conditions(items)
            made.subfields = [build_field(f"{name}.__i__.{n}", items["properties"][n], item_ui.get(n, {}), n in inner)
                              for n in ordered(items, item_ui)]
            for sub in made.subfields:
                if not sub.required:
                    sub.required_when = inner_when.get(sub.name.rsplit(".", 1)[-1], "")
        else:
            made.kind = "list"
            made.item = build_field(f"{name}.__i__", items, item_ui, False)
            made.item.title = made.title
    elif options:
        made.kind = "radio" if widget == "radio" else "select"
    elif kind_of == "boolean":
        made.kind = "checkbox"
    elif kind_of in ("integer", "number"):
        made.kind = kind_of
        made.hint = bounds_hint(spec)
    elif spec.get("format") == "date":
        made.kind = "date"
    elif spec.get("format") == "date-time":
        made.kind = "datetime"
    elif spec.get("format") == "email":
        made.kind = "email"
    elif widget == "textarea":
        made.kind = "textarea"
    return made


def bounds_hint(spec: dict[str, Any]) -> str:
    """A number's bounds as the field's hint, only those the schema gives; "" without any."""
    parts = []
    for inclusive, exclusive, word in (("minimum", "exclusiveMinimum", "min"), ("maximum", "exclusiveMaximum", "maks")):
        if isinstance(spec.get(inclusive), int | float):
            parts.append(f"{word} {indonesian_number(spec[inclusive])}")
        elif isinstance(spec.get(exclusive), int | float):
            parts.append(f"{word} {indonesian_number(spec[exclusive])} (tidak termasuk)")
    return " · ".join(parts)


def fields_of(form: FormRef, skip: set[str] = frozenset()) -> list[Field]:
    """The visible fields of a form, in the UI schema's order."""
    schema, ui = form.schema, form.ui_schema or {}
    required = set(schema.get("required", []))
    conditional = required_conditions(schema)
    out = []
    for name in ordered(schema, ui):
        spec, field_ui = schema["properties"][name], ui.get(name, {}) if isinstance(ui.get(name), dict) else {}
        if name in skip or is_hidden(spec, field_ui):
            continue
        made = build_field(name, spec, field_ui, name in required)
        if not made.required:
            made.required_when = conditional.get(name, "")
        for one in (made, made.item, *made.subfields):
            if one is not None:
                one.bounds = date_hint(one.spec, form.titles)
        out.append(made)
    return out


def required_conditions(schema: dict[str, Any]) -> dict[str, str]:
    """Fields an if/then/else rule of the form makes required, with the rule in words for the label.

    `{"if": {"properties": {"anonim": {"const": true}}}, "else": {"required": ["nama_pelapor"]}}` gives
    nama_pelapor: "wajib kecuali Anonim dicentang" (with the field's title).
    """
    rules = [schema] + [r for r in schema.get("allOf", []) if isinstance(r, dict)]
    props = schema.get("properties", {})
    out: dict[str, str] = {}
    for rule in rules:
        condition = rule.get("if")
        if not isinstance(condition, dict):
            continue
        words = _condition_words(condition, props)
        for branch, prefix in (("then", "wajib bila"), ("else", "wajib kecuali")):
            for name in (rule.get(branch) or {}).get("required", []):
                out.setdefault(name, f"{prefix} {words}" if words else "wajib pada keadaan tertentu")
    return out


def _condition_words(condition: dict[str, Any], props: dict[str, Any]) -> str:
    parts = []
    for name, test in (condition.get("properties") or {}).items():
        if not isinstance(test, dict) or "const" not in test:
            return ""
        spec = props.get(name, {})
        title = spec.get("title", name)
        value = test["const"]
        if value is True:
            parts.append(f"{title} dicentang")
        elif value is False:
            parts.append(f"{title} tidak dicentang")
        else:
            shown = dict(_options(spec)).get(value, value)
            parts.append(f"{title} = {shown}")
    return " dan ".join(parts)


def fixed_values(form: FormRef) -> dict[str, Any]:
    """Hidden or read-only fields with a default or const: set by the server, never taken from the browser."""
    ui = form.ui_schema or {}
    out = {}
    for name, spec in form.schema.get("properties", {}).items():
        if is_hidden(spec, ui.get(name, {}) if isinstance(ui.get(name), dict) else {}):
            if "const" in spec:
                out[name] = spec["const"]
            elif "default" in spec:
                out[name] = spec["default"]
    return out


def initial_values(form: FormRef, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults of the form, overlaid with instance data for fields of the same name (a correction step)."""
    values = {n: s["default"] for n, s in form.schema.get("properties", {}).items() if "default" in s}
    for name in form.schema.get("properties", {}):
        if data and name in data and data[name] is not None:
            values[name] = data[name]
    return values


# -- parsing a POST ----------------------------------------------------------------


# The one way a number is typed in a form (and written back into an input): digits, a dot only between
# groups of three digits (5.000.000, as the pages show costs), a comma before the decimals (1.500.000,50).
# "1.5" could be one and a half or fifteen, so a dot anywhere else is refused rather than guessed.
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:,\d+)?$")
_GROUPED_NUMBER = re.compile(r"^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
DOT_RULE = "titik hanya pemisah ribuan di antara kelompok tiga angka (misalnya 5.000.000)"


@dataclass(frozen=True)
class Reading:
    """What one typed input became: the typed value, or the text kept as typed with why it was not read."""

    value: Any
    problem: str = ""


def read_number(spec: dict[str, Any], text: str) -> Reading:
    """A typed number by the forms' rule (integer fields take no decimals); the text itself when it breaks it."""
    integer = spec.get("type") == "integer"
    if not (_PLAIN_NUMBER.match(text) or _GROUPED_NUMBER.match(text)):
        if "." in text and re.fullmatch(r"-?[\d.]+(?:,\d+)?", text):
            decimals = "" if integer else "; tulis desimal dengan koma, misalnya 1,5"
            return Reading(text, DOT_RULE + decimals)
        example = "240 atau 5.000" if integer else "5.000.000 atau 1.500,5"
        return Reading(text, f"bukan {'bilangan bulat' if integer else 'angka'}; tulis misalnya {example}")
    whole, _, decimals = text.replace(".", "").partition(",")
    if integer and decimals:
        return Reading(text, "harus bilangan bulat, tanpa pecahan di belakang koma")
    if len(whole) + len(decimals) > 30:  # beyond any amount a form holds, and int() refuses 4,300 digits
        return Reading(text, "angka terlalu panjang")
    return Reading(float(f"{whole}.{decimals}") if decimals else int(whole))


def read(spec: dict[str, Any], raw: str) -> Reading:
    """One typed string to the schema's type; text that does not convert stays text, with the reason."""
    text = raw.strip()
    options = _options(spec)
    if options:  # a choice comes back as the option's own text: its value is the option's, whatever its type
        return Reading(next((v for v, _ in options if str(v) == text), text))
    kind = spec.get("type")
    if kind in ("integer", "number"):
        return read_number(spec, text)
    if kind == "boolean":
        return Reading(text.lower() in ("1", "true", "on", "ya", "yes"))
    return Reading(text)


def _typed_date(text: str) -> str:
    """17/03/2026 -> 2026-03-17; anything else as typed."""
    found = _TYPED_DATE.match(text)
    return f"{found[3]}-{int(found[2]):02d}-{int(found[1]):02d}" if found else text


def _with_zone(text: str, zone: str) -> str:
    typed = _TYPED_DT.match(text)
    if typed:
        day, month, year, hour, minute = typed.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}T{int(hour):02d}:{minute}"
    if not _LOCAL_DT.match(text):
        return text
    return (text if text.count(":") == 2 else text + ":00") + (zone or "+07:00")


def _scalar(spec: dict[str, Any], form: MultiDict, name: str) -> tuple[bool, Reading]:
    """(present, reading) of one input; an empty input is absent."""
    if spec.get("type") == "boolean":
        return True, Reading(name in form and form.get(name) not in ("", "0", "false"))
    raw = form.get(name, "")
    if raw.strip() == "":
        return False, Reading(None)
    if spec.get("format") == "date-time":
        return True, Reading(_with_zone(raw.strip(), form.get(name + ZONE_SUFFIX, "")))
    if spec.get("format") == "date":
        return True, Reading(_typed_date(raw.strip()))
    return True, read(spec, raw)


def _indexed(form: MultiDict, name: str) -> dict[int, dict[str, str]]:
    """`name.3` and `name.3.sub` inputs grouped by index."""
    groups: dict[int, dict[str, str]] = {}
    prefix = name + "."
    for key in form:
        if key.startswith(prefix):
            found = _INDEX.match(key[len(prefix):])
            if found:
                groups.setdefault(int(found.group(1)), {})[found.group(2) or ""] = key
    return dict(sorted(groups.items()))


def _object_item(items: dict[str, Any], form: MultiDict, keys: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """One item of a list of objects ({} for an untouched row) and why any of its inputs was not read.

    An unticked checkbox sends nothing, so a boolean is false unless its input came, but only
    in a row that holds something: a blank row the page offers must not become an item.
    """
    props = items.get("properties", {})
    item: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for sub, key in keys.items():
        if sub in props:
            present, reading = _scalar(props[sub], form, key)
            if present and (reading.value is not False or props[sub].get("type") != "boolean"):
                item[sub] = reading.value
                if reading.problem:
                    problems[sub] = reading.problem
    if item:
        for sub, prop in props.items():
            if prop.get("type") == "boolean":
                item.setdefault(sub, False)
    return item, problems


class Parsed(dict[str, Any]):
    """A submitted form's typed data, with `problems`: why an input kept as typed text was not read (by path).

    The engine refuses such text for its type; the page says what the rule is instead (`form_view`)."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: dict[str, str] = {}

    def put(self, path: str, reading: Reading) -> Any:
        if reading.problem:
            self.problems[path] = reading.problem
        return reading.value


def parse(form_ref: FormRef, form: MultiDict, skip: set[str] = frozenset()) -> Parsed:
    """The typed data of a submitted form (hidden fields from the schema, not from the browser)."""
    data = Parsed()
    for fld in fields_of(form_ref, skip):
        spec = fld.spec
        if fld.kind == "checkboxes":
            chosen = [read(spec["items"], v) for v in form.getlist(fld.name) if v.strip()]
            if chosen:
                data[fld.name] = [data.put(f"{fld.name}.{i}", r) for i, r in enumerate(chosen)]
        elif fld.kind == "list":
            readings = [reading for keys in _indexed(form, fld.name).values()
                        for present, reading in [_scalar(spec["items"], form, keys.get("", ""))] if present]
            if readings:
                data[fld.name] = [data.put(f"{fld.name}.{i}", r) for i, r in enumerate(readings)]
        elif fld.kind == "objects":
            rows = [_object_item(spec["items"], form, keys) for keys in _indexed(form, fld.name).values()]
            kept = [(item, problems) for item, problems in rows if item]
            if kept:
                data[fld.name] = [item for item, _ in kept]
                for i, (_, problems) in enumerate(kept):
                    data.problems.update({f"{fld.name}.{i}.{sub}": why for sub, why in problems.items()})
        else:
            present, reading = _scalar(spec, form, fld.name)
            if present:
                data[fld.name] = data.put(fld.name, reading)
    data.update(fixed_values(form_ref))
    return data


# -- errors --------------------------------------------------------------------------


def errors_by_path(errors: list[FieldError] | list[dict[str, str]],
                   kinds: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Messages by data path; a refused moment or date at an input of `kinds` (path -> kind) says the page's
    own input format."""
    out: dict[str, list[str]] = {}
    for error in errors:
        if isinstance(error, FieldError):
            path, message = error.field, error.message
            kind = (kinds or {}).get(re.sub(r"\.\d+(?=\.|$)", ".__i__", path))
            if error.rule in ("format", "pattern") and kind in PAGE_FORMATS:
                message = PAGE_FORMATS[kind]
        else:
            path, message = error["field"], error["message"]
        out.setdefault(path or GENERAL, []).append(message)
    return out


def _kinds(fields: list[Field]) -> dict[str, str]:
    """Input name (`__i__` for a row's index) -> kind, for every field and column of the page."""
    out = {}
    for fld in fields:
        out[fld.name] = fld.kind
        out.update(_kinds(fld.subfields))
        if fld.item is not None:
            out[fld.item.name] = fld.item.kind
    return out


def rendered_paths(fields: list[Field], values: dict[str, Any]) -> set[str]:
    """Every error path that has a place next to an input on the page."""
    paths: set[str] = set()
    for fld in fields:
        paths.add(fld.name)
        count = max(len(values.get(fld.name) or []) if isinstance(values.get(fld.name), list) else 0, 1)
        for i in range(count):
            if fld.kind == "list":
                paths.add(f"{fld.name}.{i}")
            elif fld.kind == "objects":
                paths.update(sub.name.replace("__i__", str(i)) for sub in fld.subfields)
    return paths


def datetime_parts(value: Any, form_offset: str = "+07:00") -> tuple[str, str]:
    """An ISO moment -> (value for datetime-local, zone offset), the form's offset when it has none.

    A moment written in an offset the selector does not offer (UTC, from a script or the API) is shown
    on the form's clock: the selector could not show its own, and sending it back would shift it.
    """
    if not isinstance(value, str):
        return "", form_offset
    found = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$", value)
    if not found:
        return value, form_offset
    written = found.group(2)
    if written is None or written in OFFSETS.values():
        return found.group(1), written or form_offset
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # as typed (a 31 February): the user sees it again with the form's message
        return found.group(1), form_offset
    sign, hours, minutes = form_offset[0], int(form_offset[1:3]), int(form_offset[4:6])
    shift = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
    return moment.astimezone(timezone(shift)).strftime("%Y-%m-%dT%H:%M"), form_offset


def form_view(form: FormRef, values: dict[str, Any], errors: list[FieldError] | list[dict[str, str]] | None = None,
              skip: set[str] = frozenset(), zone: str = DEFAULT_ZONE, fixed_rows: set[str] = frozenset()
              ) -> dict[str, Any]:
    """What the `form_body` macro needs: fields, values, errors by path, the errors with no input of their own,
    and the offset a date-time input starts at (`zone`, an IANA name: the office's clock).

    `fixed_rows`: the lists whose rows come from elsewhere (a batch step's list), even if the UI schema says nothing.
    """
    fields = fields_of(form, skip)
    for fld in fields:
        if fld.name in fixed_rows and fld.kind == "objects":
            fld.fixed_rows = True
    by_path = errors_by_path(errors or [], _kinds(fields))
    for path, problem in getattr(values, "problems", {}).items():
        if path in by_path:  # the engine's "harus bertipe angka" for text the page's rule could not read
            by_path[path] = [problem]
    placed = rendered_paths(fields, values)
    general = {p: m for p, m in by_path.items() if p not in placed}
    return {"fields": fields, "values": values, "errors": by_path, "general": general, "zone": offset(zone)}
