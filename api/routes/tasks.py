"""The inbox and one task: detail, claim, unclaim, complete."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.auth import require_login
from api.models import PendingTask
from api.moments import iso
from api.presenters import (
    TASK_ITEM_COLUMNS,
    completion,
    form_json,
    instance_summary,
    page,
    task_item,
    task_items,
    usernames,
)
from api.routes.tasks_schemas import CompleteAnswerSchema, InboxQuerySchema, TaskDetailSchema, TaskPageSchema
from api.schemas import FORM_CHECKED, DataSchema, TaskItemSchema, answers
from api.services import instances, trail
from api.services.inbox import inbox_query, open_task
from engine import now

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="Kotak tugas dan penyelesaian tugas")


@blp.route("", methods=["GET"])
@blp.arguments(InboxQuerySchema, location="query")
@answers(blp, 200, TaskPageSchema, 401, 422, description="satu halaman tugas")
def inbox(args: dict[str, Any]) -> dict[str, Any]:
    """Tugas saya: tugas yang perannya saya pegang di wilayah yang mencakup wilayah tugas.

    `q` mencari kata dari judul, kode lacak atau nama pelapor (awal kata cukup).
    """
    principal = require_login()
    rows, paging = page(inbox_query(principal, args), args["page"], args["per_page"], key=PendingTask.id,
                        wide_query=inbox_query(principal, args, wide=True), lean=TASK_ITEM_COLUMNS)
    moment = now()
    names = usernames({r.claimed_by_id for r in rows})
    return {"items": task_items(rows, moment, names), **paging}


@blp.route("/<task_id>", methods=["GET"])
@answers(blp, 200, TaskDetailSchema, 401, 404, description="tugas dengan formulir, data kasus dan riwayatnya")
def task_detail(task_id: str) -> dict[str, Any]:
    """Satu tugas dengan formulirnya, data kasus yang diperlukan formulir, dan riwayat kasus."""
    principal = require_login()
    task = open_task(principal, task_id)
    info, moment = task.info, now()
    item = task_item(task.row, moment, usernames({task.row.claimed_by_id}))
    item.update({
        "form": form_json(info.form if info else None),
        "instructions": info.instructions if info else None,
        "data": task.data,
        "instance": instance_summary(task.instance, task.ref, moment),
        "history": trail.history(task.instance, task.ref, principal),
        "completed": [{"name": s.name, "title": s.title, "lane": s.lane, "finished_at": iso(s.finished)}
                      for s in task.view.completed if s.human],
    })
    return item


@blp.route("/<task_id>/claim", methods=["POST"])
@answers(blp, 200, TaskItemSchema, 401, 404, 409, 415, description="tugas kini diambil pengguna ini")
def claim(task_id: str) -> dict[str, Any]:
    """Ambil tugas: sesudahnya hanya pengguna ini yang dapat menyelesaikannya."""
    principal = require_login()
    row = instances.claim(principal, task_id)
    return task_item(row, now(), usernames({row.claimed_by_id}))


@blp.route("/<task_id>/unclaim", methods=["POST"])
@answers(blp, 200, TaskItemSchema, 401, 404, 409, 415, description="tugas kembali ke kotak tugas bersama")
def unclaim(task_id: str) -> dict[str, Any]:
    """Lepas tugas yang diambil pengguna ini ke kotak tugas bersama."""
    principal = require_login()
    row = instances.unclaim(principal, task_id)
    return task_item(row, now(), usernames({row.claimed_by_id}))


@blp.route("/<task_id>/complete", methods=["POST"])
@blp.arguments(DataSchema)
@answers(blp, 200, CompleteAnswerSchema, 400, 401, 404, 409, 413, 415, 422, refusal=FORM_CHECKED,
         description="kasus sesudahnya dan tugas berikutnya yang boleh dikerjakan pengguna ini")
def complete(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """Selesaikan tugas dengan isian formulir.

    422 bila ada isian salah, 409 bila sudah tidak menunggu atau diambil orang lain, 404 bila bukan untuk Anda.
    """
    principal = require_login()
    return completion(instances.complete(principal, task_id, body["data"]), now())
