"""Changing procedures: deploy diagrams and forms, list and compare versions, migrate running instances."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from api.auth import Principal, require_login
from api.errors import ApiError, invalid, not_found
from api.json_depth import json_body, refuse_deep_json, refuse_non_finite_json
from api.models import ORIGIN_UPLOAD
from api.routes.guard import authorize
from api.routes.versions_schemas import (
    DEPLOY_BODY,
    DEPLOY_CHECKED,
    DeployAnswerSchema,
    DiffQuerySchema,
    DiffSchema,
    MigrationAnswerSchema,
    MigrationSchema,
    VersionFilesSchema,
    VersionListSchema,
)
from api.schemas import answers
from api.services import deploy as deploys
from api.services import migration
from api.services.instances import Actor
from api.services.versions import runtime

blp = Blueprint("versions", __name__, url_prefix="/api/v1", description="Versi proses, pemasangan dan migrasi")

DEFAULT_UPLOAD_LIMIT = 8_000_000  # bytes per upload request; each file has its own, smaller limit in the engine
def _actor(principal: Principal) -> Actor:
    return Actor(principal.user.username, principal.user.id)


def _require_deployer() -> Principal:
    principal = require_login()
    if not deploys.may_deploy(principal):
        raise ApiError(403, "forbidden", "hanya analis proses atau admin (seluruh wilayah) yang dapat memasang versi")
    return principal


def _require_manager() -> tuple[Principal, list[str]]:
    principal = require_login()
    prefixes = deploys.manager_prefixes(principal)
    if not prefixes:
        raise ApiError(403, "forbidden", "hanya analis proses atau admin yang dapat memindahkan kasus")
    return principal, prefixes


def _require_viewer() -> Principal:
    principal = require_login()
    if not deploys.may_view_versions(principal):
        raise ApiError(403, "forbidden", "hanya analis proses, admin dan pemantau yang dapat melihat versi")
    return principal


def _upload_files(limit: int) -> tuple[dict[str, bytes | str], str | None, bool]:
    """The files of a multipart (files[] named by their relative path) or JSON ({files: {name: text}}) upload."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"unggahan terlalu besar (batas {limit} bita)")
    request.max_content_length = limit  # also bounds a body sent without Content-Length
    if request.mimetype == "multipart/form-data":
        uploads = request.files.getlist("files[]") + request.files.getlist("files")
        files: dict[str, bytes | str] = {}
        for upload in uploads:
            if not upload.filename:
                raise invalid([{"field": "files[]", "message": "berkas tanpa nama"}])
            files[upload.filename] = upload.read()
        note = request.form.get("note") or None
        dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "ya")
    else:
        refuse_deep_json(request.max_content_length)  # the app-wide check left bodies over the global limit to here
        refuse_non_finite_json(request.max_content_length)
        body = json_body()
        if not isinstance(body, dict) or not isinstance(body.get("files"), dict):
            raise invalid([{"field": "files", "message": "kirim multipart files[] atau JSON {files: {nama: isi}}"}])
        bad = [n for n, text in body["files"].items() if not isinstance(text, str)]
        if bad:
            raise invalid([{"field": f"files.{n}", "message": "isi berkas harus berupa teks"} for n in bad])
        files = dict(body["files"])
        note = body.get("note") if isinstance(body.get("note"), str) else None
        dry_run = body.get("dry_run") is True
    if note is not None and len(note) > 2000:
        raise invalid([{"field": "note", "message": "catatan paling banyak 2000 karakter"}])
    if note is not None and "\x00" in note:
        raise invalid([{"field": "note", "message": "tidak boleh memuat karakter NUL"}])
    return files, note, dry_run


def _create_roles() -> bool:
    """`create_roles`: create the roles the uploaded lanes name that do not exist yet (multipart or JSON)."""
    if request.mimetype == "multipart/form-data":
        return request.form.get("create_roles", "").lower() in ("1", "true", "ya")
    body = request.get_json(silent=True)
    return isinstance(body, dict) and body.get("create_roles") is True


@blp.route("/deploy", methods=["POST"])
@answers(blp, 201, DeployAnswerSchema, 400, 401, 403, 413, 415, 422, refusal=DEPLOY_CHECKED,
         description="versi baru dibuat per proses yang berubah")
@blp.alt_response(200, schema=DeployAnswerSchema, success=True,
                  description="tidak ada yang berubah, atau hanya uji coba (`dry_run`): versi yang akan dibuat")
@blp.doc(requestBody=DEPLOY_BODY)
@authorize(_require_deployer)
def deploy_upload() -> tuple[dict[str, Any], int]:
    """Unggah berkas `.bpmn` dan `forms/...json` baru atau yang diubah: diperiksa, lalu versi baru.

    Satu versi baru per proses yang berubah. Multipart (`files[]`, masing-masing bernama jalur relatifnya;
    `note`; `dry_run`; `create_roles`) atau JSON
    `{"files": {"keluhan.bpmn": "<xml>", "forms/uji/x.schema.json": "{...}"}, "note": "...", "dry_run": false,
    "create_roles": false}`. Lajur yang tidak menyebut peran yang dikenal ditolak, kecuali `create_roles`
    (maka perannya dibuat). Ditolak dengan 422 dan setiap masalah pemeriksaan (berkas, baris, elemen, pesan)
    di `fields`; tidak ada yang disimpan.
    """
    principal = _require_deployer()
    limit = int(current_app.config.get("ALUR_DEPLOY_MAX_BYTES", DEFAULT_UPLOAD_LIMIT))
    files, note, dry_run = _upload_files(limit)
    result = deploys.deploy(files, principal.user.username, ORIGIN_UPLOAD, note, dry_run=dry_run,
                            create_roles=_create_roles())
    if not result.ok:
        raise ApiError(422, "deploy_refused", result.message(), [deploys.problem_json(p) for p in result.problems])
    body = {"message": result.message(), "changed": result.changed, "dry_run": dry_run,
            "versions": [v.as_dict() for v in result.versions], "roles_created": result.roles_created}
    return body, 201 if result.changed and not dry_run else 200


@blp.route("/processes/<process_id>/versions", methods=["GET"])
@answers(blp, 200, VersionListSchema, 401, 403, 404, description="daftar versi")
@authorize(_require_viewer)
def list_versions(process_id: str) -> dict[str, Any]:
    """Semua versi, terbaru dulu.

    Nomor, sidik, siapa memasang dan kapan, catatan, yang berlaku, jumlah kasus per status.
    """
    _require_viewer()
    items = deploys.list_versions(process_id)
    if not items:
        raise not_found("proses")
    return {"process_id": process_id, "items": items}


@blp.route("/processes/<process_id>/versions/<int:number>/files", methods=["GET"])
@answers(blp, 200, VersionFilesSchema, 401, 403, 404, description="isi berkas versi itu")
@authorize(_require_viewer)
def version_files(process_id: str, number: int) -> dict[str, Any]:
    """Berkas diagram dan formulir persis dari satu versi."""
    _require_viewer()
    files = deploys.version_files(process_id, number)
    if files is None:
        raise not_found("versi proses")
    return {"process_id": process_id, "number": number, "files": files}


@blp.route("/processes/<process_id>/diff", methods=["GET"])
@blp.arguments(DiffQuerySchema, location="query")
@answers(blp, 200, DiffSchema, 401, 403, 404, 422, description="perbedaan kedua versi")
@authorize(_require_viewer)
def diff(args: dict[str, Any], process_id: str) -> dict[str, Any]:
    """Apa yang berubah antara dua versi (`?from=1&to=2`; bawaan: versi yang berlaku dan sebelumnya)."""
    _require_viewer()
    current = runtime().current(process_id)
    if current is None:
        raise not_found("proses")
    to_version = args["to_version"] or current.number
    from_version = args["from_version"] or max(to_version - 1, 1)
    return migration.diff_json(process_id, from_version, to_version)


def _batch(body: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
    principal, prefixes = _require_manager()
    process_id = body["process_id"]
    target = migration.target_version(process_id, body["to_version"])
    if body["instance_id"] is not None:
        ids = [body["instance_id"]]
    else:
        ids = migration.select_instances(process_id, target=target, from_version=body["from_version"],
                                         statuses=body["status"], prefixes=prefixes)
    if dry_run:
        result = migration.dry_run(process_id, ids, target, prefixes)
    else:
        result = migration.migrate_instances(process_id, ids, target, _actor(principal), prefixes)
    return result.as_dict()


@blp.route("/migrations/dry-run", methods=["POST"])
@blp.arguments(MigrationSchema)
@answers(blp, 200, MigrationAnswerSchema, 400, 401, 403, 404, 413, 415, 422, description="hasil uji coba per kasus")
@authorize(_require_manager)
def migration_dry_run(body: dict[str, Any]) -> dict[str, Any]:
    """Per kasus: dapatkah pindah ke versi tujuan, dan bila tidak, mengapa. Tidak mengubah apa pun."""
    return _batch(body, dry_run=True)


@blp.route("/migrations", methods=["POST"])
@blp.arguments(MigrationSchema)
@answers(blp, 200, MigrationAnswerSchema, 400, 401, 403, 404, 413, 415, 422, description="hasil pemindahan per kasus")
@authorize(_require_manager)
def migrate_batch(body: dict[str, Any]) -> dict[str, Any]:
    """Pindahkan satu kasus, atau setiap kasus yang cocok dengan saringan.

    Masing-masing dalam transaksinya sendiri; hasil per kasus.
    """
    return _batch(body, dry_run=False)

