"""Request schemas: flask-smorest validates with these and documents them in /api/openapi.json.

Form data itself is a free object here: it is checked against the diagram's JSON
Schema by the engine, which knows the form; marshmallow only checks the envelope.
"""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    label = fields.String(load_default="", validate=validate.Length(max=100), metadata={"description": "token name"})


class DataSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True, metadata={"description": "isian formulir"})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class RetrySchema(Schema):
    task_id = fields.String(load_default=None, validate=validate.Length(max=36))
    data = fields.Dict(keys=fields.String(), load_default=None, metadata={"description": "perbaikan data tugas"})


class PageSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class InboxQuerySchema(PageSchema):
    process = fields.String(load_default=None)
    role = fields.String(load_default=None)
    region = fields.String(load_default=None)
    claimed = fields.Boolean(load_default=None, metadata={"description": "true: sudah diambil; false: belum"})
    mine = fields.Boolean(load_default=None, metadata={"description": "true: hanya yang saya ambil"})
    due_before = fields.AwareDateTime(load_default=None, default_timezone=UTC)


class InstanceQuerySchema(PageSchema):
    process = fields.String(load_default=None)
    status = fields.String(load_default=None)
    region = fields.String(load_default=None)
    late = fields.Boolean(load_default=None)
    started_from = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    started_to = fields.AwareDateTime(load_default=None, default_timezone=UTC)
    q = fields.String(load_default=None, metadata={"description": "kode lacak"})


class OutboxQuerySchema(PageSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "sent", "failed", "no_recipient"]))


class RegionQuerySchema(Schema):
    parent = fields.String(load_default=None)
