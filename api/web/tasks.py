"""One task: its form (from JSON Schema + UI schema), the instance context and history; submitting it."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.db import db
from api.errors import ApiError
from api.models import Instance
from api.presenters import usernames
from api.services import case_links, instances, messages, trail
from api.services.inbox import open_task
from api.services.versions import runtime
from api.web import bp
from api.web.common import page_login, principal
from api.web.formkit import form_view, initial_values, parse
from api.web.queries import completion_of, form_fields, region_label
from engine import FormInvalid

# Data the application itself adds; not worth a line in the context table.
_INTERNAL = {"kode_lacak"}


def context_rows(data: dict[str, Any], specs: dict[str, dict[str, Any]], skip: set[str]) -> list[tuple[str, Any, dict]]:
    """(label, value, schema) of the instance data, form fields first in form order, then computed values."""
    rows = []
    upper = _upper_words(specs)
    for name, value in data.items():
        if name in skip or name in _INTERNAL or value in (None, "", [], {}):
            continue
        spec = specs.get(name, {})
        rows.append((spec.get("title") or _label(name, upper), value, spec))
    return rows


def _upper_words(specs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Words the forms' titles write in capitals (RKPD, OPD, RT): a computed field's label writes them so too."""
    words: dict[str, str] = {}
    for spec in specs.values():
        for word in re.findall(r"[A-Za-z]+", str(spec.get("title", ""))):
            if len(word) > 1 and word.isupper():
                words.setdefault(word.lower(), word)
    return words


def _label(name: str, upper: dict[str, str]) -> str:
    """A label for a data field without a title: `batas_rkpd` -> 'Batas RKPD'."""
    words = [upper.get(w, w) for w in name.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _page(task_id: str, values: dict[str, Any] | None = None, errors: list | None = None, status: int = 200):
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
    specs = form_fields(ref.version)
    claimed_by = usernames({row.claimed_by_id}).get(row.claimed_by_id) if row.claimed_by_id else None
    return render_template(
        "task.html",
        task=row, instance=instance, version=ref, info=info, form=form,
        form_ctx=form_view(form, values if values is not None else initial_values(form, start_values), errors,
                           fixed_rows=fixed)
        if form else None,
        context=context_rows(task.data, specs, own), events=trail.history(instance, ref, who),
        region=region_label(row.region),
        claimed_by=claimed_by, mine=row.claimed_by_id == who.user.id, links=case_links.links_of(instance),
    ), status


def _gone(task_id: str, message: str, title: str | None = None):
    """The page for a task no longer waiting: who completed it and when, if a person did."""
    done = completion_of(task_id)
    return render_template("task_gone.html", message=message, title=title,
                           done_by=done[0] if done else None, done_at=done[1] if done else None), 409


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
        if exc.status == 409:
            return _gone(task_id, exc.message, title)
        raise
    flash(f"Tugas \u201c{title}\u201d selesai.", "sukses")
    if len(mine) == 1:
        flash(f"Langkah berikutnya untuk Anda: \u201c{mine[0].title}\u201d.", "info")
        return redirect(url_for("web.task_page", task_id=mine[0].id))
    return redirect(url_for("web.inbox"))
