"""What the public is answered: forms to submit, a submission, tracking, regions (api/routes/public.py).

Shared shapes are in api/schemas.py.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import FormSchema, Text, answer


class RegionQuerySchema(Schema):
    parent = Text(load_default=None, validate=validate.Length(max=100))  # a region code column


PublicProcessSchema = answer("PublicProcessSchema", {"id": str, "name": str | None, "form": FormSchema | None})

PublicProcessListSchema = answer("PublicProcessListSchema", {"items": [PublicProcessSchema]})

SubmittedSchema = answer("SubmittedSchema", {"tracking_code": str, "status": str})

PublicStepSchema = answer("PublicStepSchema", {"title": str | None, "due_at": str | None, "late": bool})

PublicMessageSchema = answer("PublicMessageSchema", {"name": str, "jenis": str | None, "isi": str | None,
                                                     "created_at": str, "delivered": bool})

# What the public learns of an instance's status (api/services/public.py): never an internal state.
PUBLIC_STATUSES = ["running", "complete", "suspended", "cancelled"]

PublicCaseLinkSchema = answer("PublicCaseLinkSchema", {
    "tracking_code": fields.String(metadata={"description": "hanya untuk kasus yang disebut kiriman ini"}),
    "process": str, "title": str,
})

PublicCaseLinksSchema = answer("PublicCaseLinksSchema", {"about": [PublicCaseLinkSchema],
                                                         "named_by": [PublicCaseLinkSchema]})


class TrackSchema(Schema):
    """A confidential report shows only its code and status; the rest is absent."""

    tracking_code = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PUBLIC_STATUSES))
    status_label = fields.String(required=True)
    process = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    time_zone = fields.String(metadata={"description": "zona waktu kantor kasus ini (IANA, mis. Asia/Makassar = WITA)"})
    finished_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={
        "description": "hasil akhir kasus yang selesai, dengan kata-kata yang dinyatakan diagramnya (bila ada)"})
    steps = fields.List(fields.Nested(PublicStepSchema))
    messages = fields.List(fields.Nested(PublicMessageSchema))
    links = fields.Nested(PublicCaseLinksSchema, metadata={
        "description": "kasus terkait yang juga publik (tidak rahasia): yang disebut kiriman ini dan yang menyebutnya"})


RegionSchema = answer("RegionSchema", {"code": str, "name": str, "level": str | None})

RegionListSchema = answer("RegionListSchema", {"items": [RegionSchema]})
