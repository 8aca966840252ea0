"""Request and answer schemas: flask-smorest validates requests with these; all are documented in /api/openapi.json.

Form data itself is a free object here: it is checked against the diagram's JSON
Schema by the engine, which knows the form; marshmallow only checks the envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from api.services.organization import REGION_LEVELS, UNIT_KINDS

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
    document states the same pattern, so a client can know before sending what the server refuses (422)."""

    def __init__(self, pattern: str, *args: Any, **kwargs: Any) -> None:
        kwargs["metadata"] = {**kwargs.get("metadata", {}), "pattern": pattern}
        kwargs["validate"] = [*_as_list(kwargs.get("validate")), validate.Regexp(pattern, error=_PATTERN_ERROR)]
        super().__init__(*args, **kwargs)


def _as_list(validators: Any) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, (list, tuple)) else [validators]


_PATTERN_ERROR = "tidak sesuai pola {regex}"
_NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"  # no NUL, and more than white space
# A role name: no control characters, no @ , ; (they separate role, region and unit in a grant), no edge spaces.
_ROLE_NAME = "^[^\\s\\u0000-\\u001f@,;]([^\\u0000-\\u001f@,;]*[^\\s\\u0000-\\u001f@,;])?$"
_UNIT_CODE = "^[a-z0-9][a-z0-9_.-]*$"  # api.services.organization.UNIT_CODE, its length in maxLength
_USERNAME = "^[A-Za-z0-9_.-]+$"
_REGION_CODE = "^[0-9A-Za-z]+([./][0-9A-Za-z]+)*$"  # api.regions.is_valid_path, not empty


class Text(fields.String):
    """A request string without NUL characters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": NO_NUL_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(*args, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        no_nul(text)
        return text


class LoginSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = Text(required=True, validate=validate.Length(min=1, max=200))
    label = Text(load_default="", validate=validate.Length(max=100), metadata={"description": "nama token"})


class DataSchema(Schema):
    data = fields.Dict(keys=Text(), required=True, validate=no_nul, metadata={"description": "isian formulir"})


class ReasonSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=3, max=1000))


class RetrySchema(Schema):
    task_id = Text(load_default=None, validate=validate.Length(max=36))
    data = fields.Dict(keys=Text(), load_default=None, validate=no_nul,
                       metadata={"description": "perbaikan data tugas; tanpa karakter NUL, baik kunci maupun nilai"})


MAX_PER_PAGE = 200  # the most rows one list request answers


class PageSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class InboxQuerySchema(PageSchema):
    process = Text(load_default=None)
    role = Text(load_default=None)
    region = Text(load_default=None, metadata={"pattern": REGION_PATTERN})
    claimed = fields.Boolean(load_default=None, metadata={"description": "true: sudah diambil; false: belum"})
    mine = fields.Boolean(load_default=None, metadata={"description": "true: hanya yang saya ambil"})
    due_before = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    q = Text(load_default=None, validate=validate.Length(max=200),
             metadata={"description": "cari: kata dari judul, kode lacak atau nama pelapor (awal kata cukup)"})


class InstanceQuerySchema(PageSchema):
    process = Text(load_default=None)
    status = Text(load_default=None)
    region = Text(load_default=None, metadata={"pattern": REGION_PATTERN})
    late = fields.Boolean(load_default=None)
    started_from = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    started_to = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    q = Text(load_default=None, validate=validate.Length(max=200),
             metadata={"description": "cari: kata dari judul, kode lacak atau nama pelapor (awal kata cukup)"})


class OutboxQuerySchema(PageSchema):
    status = Text(load_default=None, validate=validate.OneOf(["pending", "sent", "failed", "no_recipient"]))


class RegionQuerySchema(Schema):
    parent = Text(load_default=None, validate=validate.Length(max=100))  # a region code column


# -- Answers: documented in /api/openapi.json (the routes return plain dicts; these describe them) --------
#
# Fields that may be empty are `allow_none`; free objects (form data, payloads) are `Dict`. A schema
# lists every key its answer has: an unlisted key would make the document lie (tests/security fuzzes it).


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


class OkSchema(Schema):
    ok = fields.Boolean(required=True)


class GrantSchema(Schema):
    role = fields.String(required=True)
    region_prefix = fields.String(required=True)
    units = fields.List(fields.String(), metadata={
        "description": "Hanya pada hak per unit: unit yang dicakup beserta unit di bawahnya; tanpa ini: semua unit"})


class UserSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(GrantSchema), required=True)


class LoginAnswerSchema(Schema):
    token = fields.String(required=True)
    token_id = fields.Integer(required=True)
    expires_at = fields.String(required=True, metadata={"description": "sesudah ini token ditolak (401 token_expired)"})
    user = fields.Nested(UserSchema, required=True)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    created_at = fields.String(required=True)
    expires_at = fields.String(required=True)
    revoked_at = fields.String(allow_none=True, required=True)
    current = fields.Boolean(required=True)


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), required=True)


class FormSchema(Schema):
    file = fields.String(required=True)
    schema = fields.Dict(required=True)
    ui_schema = fields.Dict(allow_none=True, required=True)


class StartSchema(Schema):
    lane = fields.String(allow_none=True, required=True)
    form = fields.Nested(FormSchema, allow_none=True, required=True)
    public = fields.Boolean(required=True)
    region_field = fields.String(allow_none=True, required=True)
    title_field = fields.String(allow_none=True, required=True)


class ProcessSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    version = fields.Integer(required=True)
    version_hash = fields.String(required=True)
    lanes = fields.List(fields.String(), required=True)
    start = fields.Nested(StartSchema, required=True)


class VersionNumberSchema(Schema):
    number = fields.Integer(required=True)
    hash = fields.String(required=True)
    created_at = fields.String(required=True)


class ProcessDetailSchema(ProcessSchema):
    versions = fields.List(fields.Nested(VersionNumberSchema), required=True)


class ProcessListSchema(Schema):
    items = fields.List(fields.Nested(ProcessSchema), required=True)


class InstanceSummarySchema(Schema):
    id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    version = fields.Integer(allow_none=True, required=True)
    version_hash = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    tracking_code = fields.String(allow_none=True, required=True)
    region = fields.String(allow_none=True, required=True)
    title = fields.String(allow_none=True, required=True)
    started_by = fields.String(allow_none=True, required=True)
    created_at = fields.String(allow_none=True, required=True)
    updated_at = fields.String(allow_none=True, required=True)
    finished_at = fields.String(allow_none=True, required=True)
    next_timer_at = fields.String(allow_none=True, required=True)
    due_at = fields.String(allow_none=True, required=True)
    late = fields.Boolean(required=True)
    anonymous = fields.Boolean(allow_none=True, required=True)
    confidential = fields.Boolean(allow_none=True, required=True)


class TaskItemSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    process_id = fields.String(required=True)
    name = fields.String(required=True)
    title = fields.String(allow_none=True, required=True)
    instance_title = fields.String(allow_none=True, required=True)
    lane = fields.String(allow_none=True, required=True)
    region = fields.String(allow_none=True, required=True)
    unit = fields.String(allow_none=True, required=True,
                         metadata={"description": "Kode unit tujuan tugas (unitField diagram); null: semua pemegang"})
    due_at = fields.String(allow_none=True, required=True)
    late = fields.Boolean(required=True)
    claimed_by = fields.String(allow_none=True, required=True)
    created_at = fields.String(allow_none=True, required=True)


class PagedSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    total_capped = fields.Boolean(required=True)


class TaskPageSchema(PagedSchema):
    items = fields.List(fields.Nested(TaskItemSchema), required=True)


class EventSchema(Schema):
    kind = fields.String(required=True)
    actor = fields.String(allow_none=True, required=True)
    at = fields.String(allow_none=True, required=True)
    task_id = fields.String(allow_none=True, required=True)
    task_name = fields.String(allow_none=True, required=True)
    detail = fields.Dict(required=True)


class CompletedStepSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(allow_none=True, required=True)
    lane = fields.String(allow_none=True, required=True)
    finished_at = fields.String(allow_none=True, required=True)


class TaskDetailSchema(TaskItemSchema):
    form = fields.Nested(FormSchema, allow_none=True, required=True)
    instructions = fields.String(allow_none=True, required=True)
    data = fields.Dict(required=True)
    instance = fields.Nested(InstanceSummarySchema, required=True)
    history = fields.List(fields.Nested(EventSchema), required=True)
    completed = fields.List(fields.Nested(CompletedStepSchema), required=True)


class CompleteAnswerSchema(Schema):
    instance = fields.Nested(InstanceSummarySchema, required=True)
    next_tasks = fields.List(fields.Nested(TaskItemSchema), required=True)


class InstancePageSchema(PagedSchema):
    items = fields.List(fields.Nested(InstanceSummarySchema), required=True)


class OutboxMessageSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    name = fields.String(required=True)
    channel = fields.String(allow_none=True, required=True)
    recipient = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.String(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    created_at = fields.String(allow_none=True, required=True)
    sent_at = fields.String(allow_none=True, required=True)
    payload = fields.Dict(required=True)


class OutboxPageSchema(PagedSchema):
    items = fields.List(fields.Nested(OutboxMessageSchema), required=True)


class DoneStepSchema(CompletedStepSchema):
    task_id = fields.String(required=True)
    human = fields.Boolean(required=True)


class TimerSchema(Schema):
    task_id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    due_at = fields.String(allow_none=True, required=True)


class FailedStepSchema(Schema):
    task_id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    title = fields.String(allow_none=True, required=True)
    message = fields.String(allow_none=True, required=True)  # what the engine said when it failed


class CaseLinkSchema(Schema):
    """Another case this one names (`about`) or that names this one (`named_by`) by tracking code."""

    instance_id = fields.Integer(required=True)
    tracking_code = fields.String(required=True)
    process_id = fields.String(required=True)
    process = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    field = fields.String(required=True, metadata={"description": "isian formulir yang memuat kode lacak"})
    field_title = fields.String(required=True)
    confidential = fields.Boolean(required=True)


class CaseLinksSchema(Schema):
    about = fields.List(fields.Nested(CaseLinkSchema), required=True)
    named_by = fields.List(fields.Nested(CaseLinkSchema), required=True)


class InstanceDetailSchema(InstanceSummarySchema):
    engine_status = fields.String(required=True)  # "unreadable" when the stored state cannot be loaded
    state_problem = fields.String(allow_none=True, required=True)
    data = fields.Dict(required=True)
    tasks = fields.List(fields.Nested(TaskItemSchema), required=True)
    completed = fields.List(fields.Nested(DoneStepSchema), required=True)
    timers = fields.List(fields.Nested(TimerSchema), required=True)
    errors = fields.List(fields.Nested(FailedStepSchema), required=True)
    active_elements = fields.List(fields.String(), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    outbox = fields.List(fields.Nested(OutboxMessageSchema), required=True)
    links = fields.Nested(CaseLinksSchema, required=True, metadata={
        "description": "kasus yang disebut kasus ini lewat kode lacak, dan kasus yang menyebut kasus ini"})


class PublicProcessSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    form = fields.Nested(FormSchema, allow_none=True, required=True)


class PublicProcessListSchema(Schema):
    items = fields.List(fields.Nested(PublicProcessSchema), required=True)


class SubmittedSchema(Schema):
    tracking_code = fields.String(required=True)
    status = fields.String(required=True)


class PublicStepSchema(Schema):
    title = fields.String(allow_none=True, required=True)
    due_at = fields.String(allow_none=True, required=True)
    late = fields.Boolean(required=True)


class PublicMessageSchema(Schema):
    name = fields.String(required=True)
    jenis = fields.String(allow_none=True, required=True)
    isi = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)
    delivered = fields.Boolean(required=True)


# What the public learns of an instance's status (api/services/public.py): never an internal state.
PUBLIC_STATUSES = ["running", "complete", "suspended", "cancelled"]


class PublicCaseLinkSchema(Schema):
    tracking_code = fields.String(metadata={"description": "hanya untuk kasus yang disebut kiriman ini"})
    process = fields.String(required=True)
    title = fields.String(required=True)


class PublicCaseLinksSchema(Schema):
    about = fields.List(fields.Nested(PublicCaseLinkSchema), required=True)
    named_by = fields.List(fields.Nested(PublicCaseLinkSchema), required=True)


class TrackSchema(Schema):
    """A confidential report shows only its code and status; the rest is absent."""

    tracking_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PUBLIC_STATUSES))
    status_label = fields.String(required=True)
    process = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(PublicStepSchema))
    messages = fields.List(fields.Nested(PublicMessageSchema))
    links = fields.Nested(PublicCaseLinksSchema, metadata={
        "description": "kasus terkait yang juga publik (tidak rahasia): yang disebut kiriman ini dan yang menyebutnya"})


class RegionSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(allow_none=True, required=True)


class RegionListSchema(Schema):
    items = fields.List(fields.Nested(RegionSchema), required=True)


class DeployedVersionSchema(Schema):
    process_id = fields.String(required=True)
    number = fields.Integer(allow_none=True, required=True)
    hash = fields.String(required=True)
    outcome = fields.String(required=True)
    previous = fields.Integer(allow_none=True, required=True)


class DeployAnswerSchema(Schema):
    message = fields.String(required=True)
    changed = fields.Boolean(required=True)
    dry_run = fields.Boolean(required=True)
    versions = fields.List(fields.Nested(DeployedVersionSchema), required=True)
    roles_created = fields.List(fields.String(), metadata={
        "description": "peran yang dibuat untuk lane baru (create_roles); pada dry run: yang akan dibuat"})


class VersionListSchema(Schema):
    process_id = fields.String(required=True)
    items = fields.List(fields.Dict(), required=True)


class VersionFilesSchema(Schema):
    process_id = fields.String(required=True)
    number = fields.Integer(required=True)
    files = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DiffSchema(Schema):
    process_id = fields.String(required=True)
    from_version = fields.Integer(data_key="from", required=True)
    to_version = fields.Integer(data_key="to", required=True)
    empty = fields.Boolean(required=True)
    tasks_added = fields.List(fields.Dict(), required=True)
    tasks_removed = fields.List(fields.Dict(), required=True)
    tasks_changed = fields.List(fields.Dict(), required=True)
    flows_added = fields.List(fields.Dict(), required=True)
    flows_removed = fields.List(fields.Dict(), required=True)
    flows_changed = fields.List(fields.Dict(), required=True)


class MigrationTargetSchema(Schema):
    number = fields.Integer(required=True)
    hash = fields.String(required=True)


class MigrationItemSchema(Schema):
    instance_id = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    outcome = fields.String(required=True)
    status = fields.String(allow_none=True, required=True)
    from_version = fields.Integer(allow_none=True, required=True)
    reasons = fields.List(fields.String(), required=True)
    notes = fields.List(fields.String(), required=True)  # what moving changes, e.g. a waiting timer's due moment


class MigrationAnswerSchema(Schema):
    process_id = fields.String(required=True)
    target = fields.Nested(MigrationTargetSchema, required=True)
    dry_run = fields.Boolean(required=True)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    results = fields.List(fields.Nested(MigrationItemSchema), required=True)


class DeployRequestSchema(Schema):
    """Documents the JSON form of a deploy upload (the route reads it itself, as JSON or multipart)."""

    files = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "nama berkas relatif -> isi", "minProperties": 1})
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)
    dry_run = fields.Boolean()
    create_roles = fields.Boolean(metadata={"description": "buat peran untuk lane yang belum menjadi peran"})


class OrgListSchema(Schema):
    items = fields.List(fields.Dict(), required=True)


class RoleInSchema(Schema):
    name = Matching(_ROLE_NAME, required=True, validate=validate.Length(min=1, max=100),
                    metadata={"description": "nama peran: tanpa karakter kendali, tanpa @ , ; dan spasi di tepi"})
    description = Text(load_default="", validate=validate.Length(max=300))


class UnitInSchema(Schema):
    code = Matching(_UNIT_CODE, required=True, validate=validate.Length(min=1, max=100),
                    metadata={"description": "kode unit: huruf kecil ASCII, angka, _ . - (mis. dpupr)"})
    name = Matching(_NOT_BLANK, required=True, validate=validate.Length(min=1, max=200))
    kind = Text(required=True, validate=validate.OneOf(UNIT_KINDS), metadata={"description": "jenis unit"})
    parent = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                  metadata={"description": "kode unit induk; harus sudah ada (422 bila tidak)"})
    region = Text(load_default="", validate=validate.Length(max=100),
                  metadata={"description": "kode wilayah", "pattern": REGION_PATTERN})


class RegionInSchema(Schema):
    code = Matching(_REGION_CODE, required=True, validate=validate.Length(min=1, max=100))
    name = Matching(_NOT_BLANK, required=True, validate=validate.Length(min=1, max=200))
    level = Text(required=True, validate=validate.OneOf(REGION_LEVELS), metadata={"description": "tingkat wilayah"})
    parent = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                  metadata={"description": "kode wilayah induk; harus sudah ada (422 bila tidak)"})


class GrantInSchema(Schema):
    role = Text(required=True, validate=validate.Length(min=1, max=100),
                metadata={"description": "peran yang sudah ada (422 bila tidak)"})
    region_prefix = Text(load_default="", validate=validate.Length(max=100), metadata={"pattern": REGION_PATTERN})
    unit = Text(load_default=None, allow_none=True, validate=validate.Length(max=100),
                metadata={"description": "unit yang sudah ada (422 bila tidak)"})


class UserInSchema(Schema):
    username = Matching(_USERNAME, required=True, validate=validate.Length(min=1, max=80))
    full_name = Text(load_default="", validate=validate.Length(max=200))
    email = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    password = Text(load_default=None, allow_none=True, validate=validate.Length(min=8, max=200),
                    metadata={"description": "wajib untuk pengguna baru (422 bila tidak ada)"})
    active = fields.Boolean(load_default=True)
    grants = fields.List(fields.Nested(GrantInSchema), load_default=None, allow_none=True,
                         metadata={"description": "bila dikirim, menggantikan semua hak pengguna"})


class CsvImportAnswerSchema(Schema):
    message = fields.String(required=True)
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)


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


# What the server checks beyond the document's schemas, stated in the 422 of the operations that check it.
FORM_CHECKED = ("`data` diperiksa terhadap formulir (JSON Schema) proses atau langkahnya, yang tidak dapat "
                "dinyatakan di dokumen umum ini: isian yang tidak sesuai ditolak dengan `form_invalid`, "
                "`fields` menyebut setiap isian; karakter NUL tidak boleh ada di mana pun dalam `data`, "
                "baik kunci maupun nilai (`invalid_input`, `fields` menyebut `data.<kunci>`)")
DEPLOY_CHECKED = ("berkas diperiksa lint (XSD, lane, formulir, skrip di sandbox) bersama versi yang berlaku: "
                  "`deploy_refused` menyebut setiap masalah (berkas, baris, elemen); nama berkas: "
                  "`<nama>.bpmn` atau `forms/<proses>/<nama>.json`")
REFERENCES_CHECKED = ("isian tidak valid; juga bila yang dirujuk tidak ada (induk, peran, unit) atau pengguna baru "
                      "tanpa kata sandi: `fields` menyebut setiap kesalahan")
CSV_CHECKED = ("setiap baris CSV diperiksa (kepala kolom jenis itu, nilai, rujukan); satu baris salah menolak "
               "seluruh berkas: `fields` menyebut baris dan kolomnya")


def answers(blp: Any, status: int, schema: Any, *errors: int, content_type: str | None = None,
            refusal: str | None = None) -> Callable:
    """Document an operation's success answer and every error code it really gives (all as ErrorSchema);
    `refusal` says what its 422 checks beyond the request schema."""

    def decorate(fn: Callable) -> Callable:
        for code in errors:
            text = refusal if code == 422 and refusal else _ERROR_TEXT[code]
            fn = blp.alt_response(code, schema=ErrorSchema, description=text)(fn)
        return blp.alt_response(status, schema=schema, content_type=content_type, success=True)(fn)

    return decorate
