"""The inbox's query and the answers of one task (api/routes/tasks.py); shared shapes are in api/schemas.py."""

from __future__ import annotations

from datetime import UTC

from marshmallow import fields, validate

from api.schemas import (
    REGION_PATTERN,
    CompletedStepSchema,
    EventSchema,
    FormSchema,
    InstanceSummarySchema,
    PageSchema,
    TaskItemSchema,
    Text,
    answer,
    paged,
)


class InboxQuerySchema(PageSchema):
    process = Text(load_default=None)
    role = Text(load_default=None)
    region = Text(load_default=None, metadata={"pattern": REGION_PATTERN})
    claimed = fields.Boolean(load_default=None, metadata={"description": "true: sudah diambil; false: belum"})
    mine = fields.Boolean(load_default=None, metadata={"description": "true: hanya yang saya ambil"})
    due_before = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    q = Text(load_default=None, validate=validate.Length(max=200),
             metadata={"description": "cari: kata dari judul, kode lacak atau nama pelapor (awal kata cukup)"})


TaskPageSchema = paged("TaskPageSchema", TaskItemSchema)

TaskDetailSchema = answer("TaskDetailSchema", {
    "form": FormSchema | None, "instructions": str | None, "data": dict, "instance": InstanceSummarySchema,
    "history": [EventSchema], "completed": [CompletedStepSchema],
}, base=TaskItemSchema)

CompleteAnswerSchema = answer("CompleteAnswerSchema", {"instance": InstanceSummarySchema,
                                                       "next_tasks": [TaskItemSchema]})
