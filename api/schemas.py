"""What every route's schemas are built from, and the answer shapes several route modules share.

flask-smorest validates requests with the schemas; all are documented in /api/openapi.json.
Where schemas live: the pieces here (text without NUL, patterns, paging, the error body, the
`answer` builder, `answers`, and the shapes of a case, a task and a form that several route
modules answer) are shared; every other schema lives beside the one route module that uses it,
in `api/routes/<module>_schemas.py` (`api/routes/tasks.py` -> `api/routes/tasks_schemas.py`).

Form data itself is a free object here: it is checked against the diagram's JSON
Schema by the engine, which knows the form; marshmallow only checks the envelope.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, get_args

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

MAX_ID = 2**31 - 1  # ids and version numbers are 32-bit database integers (PostgreSQL `integer`)


def no_nul(value: Any) -> None:
    """U+0000 in any text: PostgreSQL cannot store it and no form needs it. Refused (422), never a 500."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError("tidak boleh memuat karakter NUL")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(key)
            no_nul(item)
    elif isinstance(value, list):
        for item in value:
            no_nul(item)


NO_NUL_PATTERN = "^[^\\u0000]*$"  # stated in the OpenAPI document: the server refuses NUL (422)
REGION_PATTERN = "^([0-9A-Za-z]+([./][0-9A-Za-z]+)*)?$"  # api.regions.is_valid_path, as the document states it


class Matching(fields.String):
    """A request string the server checks against `pattern` (search semantics, as JSON Schema's); the
    document states the same pattern, so a client can know before sending what the server refuses (422).
    `reason` is the refusal's message: what the value must look like, in words (a user cannot read a regex)."""

    def __init__(self, pattern: str, *args: Any, reason: str, **kwargs: Any) -> None:
        kwargs["metadata"] = {**kwargs.get("metadata", {}), "pattern": pattern}
        kwargs["validate"] = [*_as_list(kwargs.get("validate")), validate.Regexp(pattern, error=reason)]
        super().__init__(*args, **kwargs)


def _as_list(validators: Any) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]


class Text(fields.String):
    """A request string without NUL characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": NO_NUL_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        no_nul(text)
        return text


class DataSchema(Schema):
    data = fields.Dict(keys=Text(), required=True, validate=no_nul, metadata={"description": "isian formulir"})


MAX_PER_PAGE = 200  # the most rows one list request answers
MAX_PAGE = 100_000  # beyond it an offset would only make the database walk rows nobody pages to


class PageSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# -- Answers: documented in /api/openapi.json (the routes return plain dicts; these describe them) --------
#
# A schema lists every key its answer has: an unlisted key would make the document lie (tests/security
# fuzzes it). Nearly every key is required and many may be null, so answer schemas are built by `answer`
# from a mapping of key to shape instead of repeating `fields.X(allow_none=True, required=True)` per key.

_SCALARS: dict[Any, type[fields.Field]] = {str: fields.String, int: fields.Integer, bool: fields.Boolean,
                                           dict: fields.Dict}


def answer_field(shape: Any, description: str | None = None) -> fields.Field:
    """The required field of one answer key.

    `shape` is str, int, bool or dict; a schema class (a nested object); a one-item list of a shape
    (a list of it); any of these `| None` (null allowed); or a ready field, taken as it is.
    """
    if isinstance(shape, fields.Field):
        return shape
    kwargs: dict[str, Any] = {"required": True}
    if isinstance(shape, types.UnionType):
        kinds = [kind for kind in get_args(shape) if kind is not type(None)]
        if len(kinds) != 1 or len(get_args(shape)) != 2:
            raise TypeError(f"an answer shape is one kind, optionally `| None`: {shape}")
        shape, kwargs["allow_none"] = kinds[0], True
    if description is not None:
        kwargs["metadata"] = {"description": description}
    return _inner(shape)(**kwargs)


def _inner(shape: Any) -> Callable[..., fields.Field]:
    if isinstance(shape, list) and len(shape) == 1:
        item = shape[0]
        return lambda **kwargs: fields.List(_inner(item)(), **kwargs)
    if isinstance(shape, type) and issubclass(shape, Schema):
        return lambda **kwargs: fields.Nested(shape, **kwargs)
    if shape in _SCALARS:
        return _SCALARS[shape]
    raise TypeError(f"no answer field for shape {shape!r}")


def answer(name: str, shapes: dict[str, Any], base: type[Schema] = Schema) -> type[Schema]:
    """An answer schema class `name` (its OpenAPI component is `name` without "Schema"), every key required.

    `base`'s keys come first, as a subclass's would.
    """
    return type(name, (base,), {key: answer_field(shape) for key, shape in shapes.items()})


def described(shape: Any, description: str) -> fields.Field:
    """An answer key's field with a description in the document."""
    return answer_field(shape, description)


class ErrorFieldSchema(Schema):
    class Meta:
        unknown = INCLUDE  # a deploy lint problem also names file, line and element

    field = fields.String(required=True)
    message = fields.String(required=True)
    file = fields.String()
    line = fields.Integer(allow_none=True)
    element = fields.String(allow_none=True)


class ErrorSchema(Schema):
    """Every refusal: a machine code, an Indonesian message, and the fields at fault."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    problems = fields.List(fields.Nested(ErrorFieldSchema), data_key="fields")


OkSchema = answer("OkSchema", {"ok": bool})

PagedSchema = answer("PagedSchema", {"page": int, "per_page": int, "total": int, "total_capped": bool})


def paged(name: str, item: type[Schema]) -> type[Schema]:
    """A page of a list answer: its items and the paging facts."""
    return answer(name, {"items": [item]}, base=PagedSchema)


# The shapes several route modules answer: a form, a case, a task, an audit event, a completed step.

FormSchema = answer("FormSchema", {"file": str, "schema": dict, "ui_schema": dict | None})

InstanceSummarySchema = answer("InstanceSummarySchema", {
    "id": int, "process_id": str, "version": int | None, "version_hash": str | None, "status": str,
    "tracking_code": str | None, "region": str | None, "title": str | None, "started_by": str | None,
    "created_at": str | None, "updated_at": str | None, "finished_at": str | None, "next_timer_at": str | None,
    "due_at": str | None, "late": bool, "anonymous": bool | None, "confidential": bool | None,
})

TaskItemSchema = answer("TaskItemSchema", {
    "id": str, "instance_id": int, "process_id": str, "name": str, "title": str | None,
    "instance_title": str | None, "lane": str | None, "region": str | None,
    "unit": described(str | None, "Kode unit tujuan tugas (unitField diagram); null: semua pemegang"),
    "due_at": str | None, "late": bool, "claimed_by": str | None, "created_at": str | None,
})

EventSchema = answer("EventSchema", {"kind": str, "actor": str | None, "at": str | None, "task_id": str | None,
                                     "task_name": str | None, "task_title": str | None, "detail": dict})

CompletedStepSchema = answer("CompletedStepSchema", {"name": str, "title": str | None, "lane": str | None,
                                                     "finished_at": str | None})


_ERROR_TEXT = {
    400: "permintaan tidak dapat dibaca (JSON rusak)",
    401: "belum masuk, atau token dicabut/kedaluwarsa",
    403: "peran tidak berwenang",
    404: "tidak ditemukan, atau di luar wilayah/peran Anda",
    409: "keadaan telah berubah (diambil orang lain, status tidak sesuai)",
    413: "permintaan melebihi batas ukuran",
    415: "perubahan dengan cookie harus dikirim sebagai JSON",
    422: "isian tidak valid; `fields` menyebut setiap kesalahan",
    429: "terlalu banyak kiriman dari alamat ini",
}
# Without them flask-smorest would describe every success as "OK" or "Created".
_SUCCESS_TEXT = {200: "berhasil", 201: "dibuat"}


# What the server checks beyond the document's schemas, stated in the 422 of the operations that check it.
FORM_CHECKED = ("`data` diperiksa terhadap formulir (JSON Schema) proses atau langkahnya, yang tidak dapat "
                "dinyatakan di dokumen umum ini: isian yang tidak sesuai ditolak dengan `form_invalid`, "
                "`fields` menyebut setiap isian; karakter NUL tidak boleh ada di mana pun dalam `data`, "
                "baik kunci maupun nilai (`invalid_input`, `fields` menyebut `data.<kunci>`)")


def answers(blp: Any, status: int, schema: Any, *errors: int, content_type: str | None = None,
            refusal: str | None = None, description: str | None = None) -> Callable:
    """Document an operation's success answer and every error code it really gives (all as ErrorSchema);
    `refusal` says what its 422 checks beyond the request schema, `description` what the success answer holds."""

    def decorate(fn: Callable) -> Callable:
        for code in errors:
            text = refusal if code == 422 and refusal else _ERROR_TEXT[code]
            fn = blp.alt_response(code, schema=ErrorSchema, description=text)(fn)
        said = description or _SUCCESS_TEXT[status]
        return blp.alt_response(status, schema=schema, content_type=content_type, description=said, success=True)(fn)

    return decorate
