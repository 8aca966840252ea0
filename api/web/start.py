"""Start pages: each procedure's start form, for the roles that may start it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from api.db import db
from api.errors import ApiError
from api.services import instances
from api.services.versions import VersionRef, runtime
from api.web import bp
from api.web.common import PageError, page_login, principal, start_zone
from api.web.formkit import form_view, initial_values, parse
from engine import FormInvalid


def startable() -> list[VersionRef]:
    """Current versions whose start lane the user holds somewhere and that have a start form."""
    who = principal()
    refs = [runtime().current(pid) for pid in runtime().process_ids()]
    return [r for r in refs if r.version.start.form and r.version.start.lane and who.prefixes(r.version.start.lane)]


@bp.route("/mulai")
@page_login
def start_list():
    return render_template("start_list.html", refs=startable())


def _ref(process_id: str) -> VersionRef:
    found = next((r for r in startable() if r.version.process_id == process_id), None)
    if found is None:
        raise PageError(404, "proses tidak ditemukan atau Anda tidak berwenang memulainya")
    return found


def _view(ref: VersionRef, values: dict[str, Any], errors: list | None = None) -> dict[str, Any]:
    zone = start_zone(ref.version.start.properties.get("regionField"), values,
                      principal().prefixes(ref.version.start.lane))
    return form_view(ref.version.start.form, values, errors, zone=zone)


def _defaults(ref: VersionRef) -> dict:
    """The start form's defaults, and the region field set to the user's region when they hold only one."""
    values = initial_values(ref.version.start.form)
    field = ref.version.start.properties.get("regionField")
    prefixes = principal().prefixes(ref.version.start.lane)
    if field and len(prefixes) == 1 and prefixes[0]:
        values.setdefault(field, prefixes[0])
    return values


@bp.route("/mulai/<process_id>", methods=["GET", "POST"])
@page_login
def start_form(process_id: str):
    ref = _ref(process_id)
    form = ref.version.start.form
    if request.method == "GET":
        return render_template("start.html", ref=ref, form_ctx=_view(ref, _defaults(ref)))
    who = principal()
    data = parse(form, request.form)
    lane = ref.version.start.lane

    def may_start(region: str) -> None:
        if not who.holds(lane, region):
            raise ApiError(422, "invalid_input", "wilayah di luar kewenangan Anda",
                           [{"field": ref.version.start.properties.get("regionField") or "(formulir)",
                             "message": f"peran {lane} Anda tidak mencakup wilayah ini"}])

    try:
        instance = instances.start(ref, data, instances.Actor(who.user.username, who.user.id), check=may_start)
    except FormInvalid as exc:
        db.session.rollback()
        return render_template("start.html", ref=ref, form_ctx=_view(ref, data, exc.errors)), 422
    except ApiError as exc:
        db.session.rollback()
        if exc.status not in (409, 422) or not exc.fields:  # a refusal naming fields is shown beside them
            raise
        return render_template("start.html", ref=ref, form_ctx=_view(ref, data, exc.fields)), exc.status
    flash(f"{ref.version.name} dimulai: \u201c{instance.title}\u201d, kode lacak {instance.tracking_code}.", "sukses")
    return redirect(url_for("web.inbox"))
