"""Versions, deploys, diffs and migrations (api/routes/versions.py); shared shapes are in api/schemas.py."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import MAX_ID, Text, answer

# What a deploy checks beyond its schema, stated in its 422.
DEPLOY_CHECKED = ("berkas diperiksa (XSD, peran setiap lajur, formulir, skrip di sandbox) bersama versi yang berlaku: "
                  "`deploy_refused` menyebut setiap masalah (berkas, baris, elemen); nama berkas: "
                  "`<nama>.bpmn` atau `forms/<proses>/<nama>.json`")


DeployedVersionSchema = answer("DeployedVersionSchema", {"process_id": str, "number": int | None, "hash": str,
                                                         "outcome": str, "previous": int | None})

DeployAnswerSchema = answer("DeployAnswerSchema", {
    "message": str, "changed": bool, "dry_run": bool, "versions": [DeployedVersionSchema],
    "roles_created": fields.List(fields.String(), metadata={
        "description": "peran yang dibuat untuk lajur baru (create_roles); pada uji coba (dry_run): yang akan dibuat"}),
})

VersionListSchema = answer("VersionListSchema", {"process_id": str, "items": [dict]})

VersionFilesSchema = answer("VersionFilesSchema", {
    "process_id": str, "number": int,
    "files": fields.Dict(keys=fields.String(), values=fields.String(), required=True),
})

DiffSchema = answer("DiffSchema", {
    "process_id": str,
    "from_version": fields.Integer(data_key="from", required=True),
    "to_version": fields.Integer(data_key="to", required=True),
    "empty": bool, "tasks_added": [dict], "tasks_removed": [dict], "tasks_changed": [dict],
    "flows_added": [dict], "flows_removed": [dict], "flows_changed": [dict],
})

MigrationTargetSchema = answer("MigrationTargetSchema", {"number": int, "hash": str})

MigrationItemSchema = answer("MigrationItemSchema", {
    "instance_id": int, "ok": bool, "outcome": str, "status": str | None, "from_version": int | None,
    "reasons": [str],
    "notes": [str],  # what moving changes, e.g. a waiting timer's due moment
})

MigrationAnswerSchema = answer("MigrationAnswerSchema", {
    "process_id": str, "target": MigrationTargetSchema, "dry_run": bool,
    "summary": fields.Dict(keys=fields.String(), values=fields.Integer(), required=True),
    "results": [MigrationItemSchema],
})


class DeployRequestSchema(Schema):
    """Documents the JSON form of a deploy upload (the route reads it itself, as JSON or multipart)."""

    files = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                        metadata={"description": "nama berkas relatif -> isi", "minProperties": 1})
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)
    dry_run = fields.Boolean()
    create_roles = fields.Boolean(metadata={"description": "buat peran untuk lajur diagram yang belum menjadi peran"})


# The upload body as documented: JSON (DeployRequestSchema) or multipart files[] named by relative path.
DEPLOY_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": DeployRequestSchema},
        "multipart/form-data": {"schema": {
            "type": "object",
            "properties": {"files[]": {"type": "array", "items": {"type": "string", "format": "binary"}},
                           "note": {"type": "string", "maxLength": 2000}, "dry_run": {"type": "string"}},
            "required": ["files[]"],
        }},
    },
}
MOVABLE_STATUSES = ["running", "waiting", "error", "suspended", "complete", "cancelled"]


class MigrationSchema(Schema):
    process_id = Text(required=True, validate=validate.Length(min=1, max=100))
    instance_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "satu kasus; tanpa ini: yang cocok dengan saringan"})
    from_version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    status = fields.List(Text(validate=validate.OneOf(MOVABLE_STATUSES)), load_default=None)
    to_version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                                metadata={"description": "nomor versi tujuan; bawaan: versi terbaru"})


class DiffQuerySchema(Schema):
    from_version = fields.Integer(data_key="from", load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    to_version = fields.Integer(data_key="to", load_default=None, validate=validate.Range(min=1, max=MAX_ID))
