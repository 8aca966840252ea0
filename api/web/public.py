"""No login: the public submits through the website channel and tracks by code, seeing nothing personal."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from api.db import db
from api.errors import ApiError
from api.services.public import public_ref, submit, system_answered, tracking
from api.services.tracking import normalize
from api.services.versions import VersionRef, runtime
from api.web import bp
from api.web.common import start_zone
from api.web.formkit import form_view, initial_values, parse
from engine import FormInvalid


def public_refs() -> list[VersionRef]:
    refs = [runtime().current(pid) for pid in runtime().process_ids()]
    return [r for r in refs if r.version.start.properties.get("publicStart") == "true" and r.version.start.form]


@bp.route("/publik")
def public_list():
    return render_template("public_list.html", refs=public_refs())


def _view(ref: VersionRef, values: dict[str, Any], errors: list | None, skip: set[str]) -> dict[str, Any]:
    zone = start_zone(ref.version.start.properties.get("regionField"), values)
    return form_view(ref.version.start.form, values, errors, skip, zone=zone)


@bp.route("/publik/<process_id>", methods=["GET", "POST"])
def public_form(process_id: str):
    ref = public_ref(process_id)
    form = ref.version.start.form
    skip = system_answered(form)  # the channel and the moment received: the system answers them, not asked
    if request.method == "GET":
        return render_template("public_form.html", ref=ref, form_ctx=_view(ref, initial_values(form), None, skip))
    data = parse(form, request.form, skip)
    try:
        instance = submit(ref, data)  # checked before the rate limit is spent, as the JSON route is
    except FormInvalid as exc:
        db.session.rollback()
        return render_template("public_form.html", ref=ref, form_ctx=_view(ref, data, exc.errors, skip)), 422
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 422:
            return render_template("public_form.html", ref=ref, form_ctx=_view(ref, data, exc.fields, skip)), 422
        if exc.status == 429:  # the complaint was fine, only too soon: keep it on screen to send again later
            return (render_template("public_form.html", ref=ref, form_ctx=_view(ref, data, None, skip),
                                    notice=exc.message), 429, exc.headers)
        raise
    return render_template("public_done.html", ref=ref, code=instance.tracking_code), 201


@bp.route("/lacak")
def track_page():
    code = normalize(request.args.get("kode", ""))[:40]
    if not code:
        return render_template("track.html", code="", result=None)
    try:
        result = tracking(code)
    except ApiError as exc:
        if exc.status != 404:
            raise
        return render_template("track.html", code=code, result=None, missing=True), 404
    return render_template("track.html", code=code, result=result)


@bp.route("/lacak/<code>")
def track_code(code: str):
    return redirect(url_for("web.track_page", kode=code))
