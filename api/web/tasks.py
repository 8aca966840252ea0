"""One task: its form (from JSON Schema + UI schema), the instance context and history; submitting it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.db import db
from api.errors import ApiError
from api.models import Instance, User
from api.services import case_links, instances, messages, trail
from api.services.inbox import open_task
from api.services.versions import runtime
from api.web import bp
from api.web.common import page_login, principal, zone_for
from api.web.formkit import form_view, initial_values, parse
from api.web.queries import completion_of, form_fields, region_label
from api.web.values import Table, Vocabulary, display_value, label, value_table
from engine import FormInvalid

# Data the application itself adds; not worth a line in the context table.
_INTERNAL = {"kode_lacak"}


def context_rows(data: dict[str, Any], version: Any, skip: set[str], region: str | None = None
                 ) -> list[tuple[str, str, Table | None]]:
    """(label, text, table) of the case data, form fields first in form order, then computed values; a list of
    objects comes as a table (column labels, rows), anything else as text; moments on `region`'s clock."""
    specs = form_fields(version)
    vocab = Vocabulary.of(version)
    rows = []
    for name, value in data.items():
        if name in skip or name in _INTERNAL or value in (None, "", [], {}):
            continue
        spec = specs.get(name, {})
        rows.append((label(name, spec, vocab), display_value(value, spec, name=name, vocab=vocab, region=region),
                     value_table(value, spec, vocab=vocab, region=region)))
    return rows


def _page(task_id: str, values: dict[str, Any] | None = None, errors: list | None = None, status: int = 200,
          refused: bool = False):
    who = principal()
    task = open_task(who, task_id)
    row, instance, ref, view, info = task.row, task.instance, task.ref, task.view, task.info
    form = info.form if info else None
    own = set(form.schema.get("properties", {})) if form else set()
    start_values = dict(view.data)
    fixed: set[str] = set()
    if messages.is_batch(info):  # a batch step opens with what waits for its decision, ranked
        fixed.add(info.properties[messages.BATCH_FIELD])
        start_values[info.properties[messages.BATCH_FIELD]] = task.data.get(info.properties[messages.BATCH_FIELD])
    claimer = db.session.get(User, row.claimed_by_id) if row.claimed_by_id else None
    claimed_by = (claimer.full_name or claimer.username) if claimer else None
    return render_template(
        "task.html",
        task=row, instance=instance, version=ref, info=info, form=form,
        form_ctx=form_view(form, values if values is not None else initial_values(form, start_values), errors,
                           zone=zone_for(instance.region)[0], fixed_rows=fixed) if form else None,
        context=context_rows(task.data, ref.version, own, instance.region), events=trail.history(instance, ref, who),
        region=region_label(row.region),
        claimed_by=claimed_by, claimed_by_username=claimer.username if claimer else None,
        mine=row.claimed_by_id == who.user.id, refused=refused, links=case_links.links_of(instance, who),
    ), status


def _gone(task_id: str, message: str, title: str | None = None):
    """The page for a task no longer waiting: who completed it and when, if a person did."""
    done = completion_of(task_id)
    return render_template("task_gone.html", message=message, title=title,
                           done_by=done[0] if done else None, done_at=done[1] if done else None,
                           done_region=done[2] if done else None), 409


@bp.route("/tugas/<task_id>", methods=["GET"])
@page_login
def task_page(task_id: str):
    try:
        return _page(task_id)
    except ApiError as exc:
        if exc.status == 409:
            return _gone(task_id, exc.message)
        raise


@bp.route("/tugas/<task_id>", methods=["POST"])
@page_login
def task_submit(task_id: str):
    who = principal()
    try:
        row = instances.visible_task(who, task_id)
    except ApiError as exc:
        if exc.status == 409:
            return _gone(task_id, exc.message)
        raise
    instance = db.session.get(Instance, row.instance_id)
    info = runtime().by_row(instance.version_id).version.tasks.get(row.name)
    form = info.form if info else None
    data = parse(form, request.form) if form else {}
    title = row.title
    try:
        mine = instances.complete(who, task_id, data).next_tasks
    except FormInvalid as exc:
        db.session.rollback()
        return _page(task_id, data, exc.errors, 422)
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 422:
            return _page(task_id, data, exc.fields, 422)
        if exc.code == "task_claimed":  # still waiting, only for someone else: show it so, with what was typed
            return _page(task_id, data, None, 409, refused=True)
        if exc.status == 409:
            return _gone(task_id, exc.message, title)
        raise
    flash(f"Tugas \u201c{title}\u201d selesai.", "sukses")
    if len(mine) == 1:
        flash(f"Langkah berikutnya untuk Anda: \u201c{mine[0].title}\u201d.", "info")
        return redirect(url_for("web.task_page", task_id=mine[0].id))
    return redirect(url_for("web.inbox"))
