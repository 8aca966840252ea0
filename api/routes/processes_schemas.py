"""Processes and their versions as staff see them (api/routes/processes.py); shared shapes are in api/schemas.py."""

from __future__ import annotations

from api.schemas import FormSchema, answer

StartSchema = answer("StartSchema", {"lane": str | None, "form": FormSchema | None, "public": bool,
                                     "region_field": str | None, "title_field": str | None})

ProcessSchema = answer("ProcessSchema", {"id": str, "name": str | None, "version": int, "version_hash": str,
                                         "lanes": [str], "start": StartSchema})

VersionNumberSchema = answer("VersionNumberSchema", {"number": int, "hash": str, "created_at": str})

ProcessDetailSchema = answer("ProcessDetailSchema", {"versions": [VersionNumberSchema]}, base=ProcessSchema)

ProcessListSchema = answer("ProcessListSchema", {"items": [ProcessSchema]})
