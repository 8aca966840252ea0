"""What admins and report viewers send and are answered about cases and the outbox (api/routes/admin.py).

Shared shapes are in api/schemas.py.
"""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.models import INSTANCE_STATUSES
from api.schemas import (
    REGION_PATTERN,
    CompletedStepSchema,
    EventSchema,
    InstanceSummarySchema,
    PageSchema,
    TaskItemSchema,
    Text,
    answer,
    described,
    no_nul,
    paged,
)


class ReasonSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=3, max=1000))


class RetrySchema(Schema):
    task_id = Text(load_default=None, validate=validate.Length(max=36))
    data = fields.Dict(keys=Text(), load_default=None, validate=no_nul,
                       metadata={"description": "perbaikan data tugas; tanpa karakter NUL, baik kunci maupun nilai"})


class InstanceQuerySchema(PageSchema):
    process = Text(load_default=None)
    status = Text(load_default=None, validate=validate.OneOf(INSTANCE_STATUSES))
    region = Text(load_default=None, metadata={"pattern": REGION_PATTERN})
    late = fields.Boolean(load_default=None)
    started_from = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    started_to = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    q = Text(load_default=None, validate=validate.Length(max=200),
             metadata={"description": "cari: kata dari judul, kode lacak atau nama pelapor (awal kata cukup)"})

    @validates_schema
    def _period_in_order(self, data: dict, **_: object) -> None:
        # A period ending before it starts would answer an empty list that looks like "no cases".
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and end < start:
            raise ValidationError("harus sesudah started_from", "started_to")


class OutboxQuerySchema(PageSchema):
    status = Text(load_default=None, validate=validate.OneOf(["pending", "sent", "failed", "no_recipient"]))


InstancePageSchema = paged("InstancePageSchema", InstanceSummarySchema)

OutboxMessageSchema = answer("OutboxMessageSchema", {
    "id": int, "instance_id": int, "name": str, "channel": str | None, "recipient": str | None, "status": str,
    "attempts": int, "next_attempt_at": str | None, "last_error": str | None, "created_at": str | None,
    "sent_at": str | None, "payload": dict,
})

OutboxPageSchema = paged("OutboxPageSchema", OutboxMessageSchema)

DoneStepSchema = answer("DoneStepSchema", {"task_id": str, "human": bool}, base=CompletedStepSchema)

TimerSchema = answer("TimerSchema", {"task_id": str, "name": str | None, "due_at": str | None})

# `message`: what the engine said when the step failed.
FailedStepSchema = answer("FailedStepSchema", {"task_id": str, "name": str | None, "title": str | None,
                                               "message": str | None})

# Another case this one names (`about`) or that names this one (`named_by`) by tracking code.
CaseLinkSchema = answer("CaseLinkSchema", {
    "instance_id": int, "tracking_code": str, "process_id": str, "process": str, "title": str, "status": str,
    "field": described(str, "isian formulir yang memuat kode lacak"), "field_title": str, "confidential": bool,
})

CaseLinksSchema = answer("CaseLinksSchema", {"about": [CaseLinkSchema], "named_by": [CaseLinkSchema]})

InstanceDetailSchema = answer("InstanceDetailSchema", {
    "engine_status": str,  # "unreadable" when the stored state cannot be loaded
    "state_problem": str | None, "data": dict, "tasks": [TaskItemSchema], "completed": [DoneStepSchema],
    "timers": [TimerSchema], "errors": [FailedStepSchema], "active_elements": [str], "events": [EventSchema],
    "outbox": [OutboxMessageSchema],
    "links": described(CaseLinksSchema,
                       "kasus yang disebut kasus ini lewat kode lacak, dan kasus yang menyebut kasus ini"),
}, base=InstanceSummarySchema)
