"""Analyst: editing a procedure in the browser (bpmn-js modeler), with live lint, a form editor, and saving
through the same deploy gate as uploads (`api/services/modeler.py`).

The page is served with the current version's diagram and forms; the front end (web/modeler/, bundled
into build/modeler/ by `make setup`) posts drafts here as form fields with the session's CSRF token
and gets JSON back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, jsonify, render_template, render_template_string, request, url_for

from api.models import ORIGIN_UPLOAD
from api.services import deploy as deploys
from api.services import modeler
from api.services.instances import Actor
from api.services.versions import runtime
from api.web import bp
from api.web.analyst import NOTE_LIMIT, _deployer
from api.web.common import VENDOR_DIRS, PageError, csrf_token, page_login
from api.web.formkit import form_view, initial_values
from engine import BPMN_NAME, FormFileError, parse_form

PREVIEW = """{% from "_form.html" import form_body with context %}<div class="formulir pratinjau-isi">
{{ form_body(ctx.fields, ctx['values'], ctx.errors, ctx.general, zone_offsets, ctx.zone) }}</div>"""


def _json_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """The modeler's requests get their refusals as JSON (`message`), which the page shows as it is."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except PageError as exc:
            if exc.status == 401:
                raise
            return jsonify({"ok": False, "message": exc.message, "problems": []}), exc.status

    return wrapper


def modeler_ready() -> bool:
    return (VENDOR_DIRS["alur-modeler"] / "index.js").is_file()


def _page(data: dict[str, Any], title: str) -> str:
    return render_template("modeler.html", title=title, ready=modeler_ready(), new=not data["file"],
                           data=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))


def _urls() -> dict[str, str]:
    return {"lint": url_for("web.modeler_lint"), "preview": url_for("web.modeler_preview"),
            "check": url_for("web.modeler_check"), "deploy": url_for("web.modeler_deploy"),
            "roles": url_for("web.modeler_roles")}


@bp.route("/analis/<process_id>/ubah")
@page_login
def modeler_page(process_id: str):
    _deployer()
    current = runtime().current(process_id)
    if current is None:
        raise PageError(404, "proses tidak ditemukan")
    sources = current.version.sources
    forms = {name.removeprefix("forms/"): text for name, text in sources.items() if name.startswith("forms/")}
    folders = sorted({path.rsplit("/", 1)[0] for path in forms if "/" in path})
    data = {
        "process_id": process_id, "number": current.number,
        "file": next(name.removeprefix("bpmn/") for name in sources if name.startswith("bpmn/")),
        "xml_url": url_for("web.diagram_xml", process_id=process_id, number=current.number),
        "forms": forms, "folder": folders[0] if len(folders) == 1 else process_id, "urls": _urls(),
    }
    data["csrf"] = csrf_token()
    return _page(data, f"Ubah {current.version.name} (dari v{current.number})")


@bp.route("/analis/baru")
@page_login
def modeler_new():
    _deployer()
    data = {"process_id": None, "number": None, "file": None, "xml_url": None, "forms": {}, "folder": "",
            "empty_xml": render_template("modeler_empty.bpmn"), "urls": _urls(), "csrf": csrf_token()}
    return _page(data, "Prosedur baru")


@bp.route("/analis/modeler/peran")
@page_login
@_json_errors
def modeler_roles() -> Response:
    _deployer()
    return jsonify({"roles": modeler.role_names()})


def _lines(text: str) -> str:
    """A browser sends form fields with CRLF line breaks; the files keep the LF they were written with."""
    return text.replace("\r\n", "\n")


def _forms_field() -> dict[str, str]:
    raw = request.form.get("formulir", "") or "{}"
    try:
        forms = json.loads(raw)
    except ValueError as exc:
        raise PageError(422, f"formulir: bukan JSON ({exc})") from exc
    if not isinstance(forms, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in forms.items()):
        raise PageError(422, "formulir: harus objek JSON nama berkas -> isi teks")
    return {name: _lines(text) for name, text in forms.items()}


def _draft() -> tuple[str, str, dict[str, str]]:
    """(file name, diagram XML, edited forms) of the posted draft, or a 422 naming the field."""
    filename = request.form.get("berkas", "").strip()
    xml = _lines(request.form.get("xml", ""))
    if not BPMN_NAME.match(filename):
        raise PageError(422, "berkas: nama berkas diagram harus seperti proses_baru.bpmn (huruf, angka, _ . -)")
    if not xml.strip():
        raise PageError(422, "xml: diagram kosong")
    return filename, xml, _forms_field()


def _problems(problems) -> list[dict[str, Any]]:
    return [deploys.problem_json(p) for p in problems]


@bp.route("/analis/modeler/lint", methods=["POST"])
@page_login
@_json_errors
def modeler_lint() -> Response:
    _deployer()
    filename, xml, forms = _draft()
    return jsonify({"problems": _problems(modeler.lint_draft(filename, xml, forms))})


@bp.route("/analis/modeler/pratinjau", methods=["POST"])
@page_login
@_json_errors
def modeler_preview() -> Response:
    """A form's JSON Schema (and UI schema) rendered by the templates staff see, with its initial values."""
    _deployer()
    name = request.form.get("berkas", "formulir.schema.json")
    try:
        form = parse_form(name, request.form.get("skema", ""), "ui.json" if request.form.get("ui") else None,
                          request.form.get("ui") or None)
        html = render_template_string(PREVIEW, ctx=form_view(form, initial_values(form)))
    except FormFileError as exc:
        return jsonify({"ok": False, "html": render_template_string(
            '<div class="kotak galat" role="alert">{{ m }}</div>', m=str(exc))})
    return jsonify({"ok": True, "html": html})


def _same_file_check(filename: str) -> None:
    """A new procedure must not take the file name of another one: its upload would replace that diagram."""
    editing = request.form.get("proses", "").strip() or None
    owner = modeler.file_owner(filename)
    if owner is not None and owner != editing:
        raise PageError(422, f"berkas: {filename} sudah dipakai proses {owner}; pilih nama berkas lain")


def _create_roles() -> bool:
    """The page's "buat peran yang belum ada", as the upload page's: every user who may deploy may create the
    roles a new lane names (the deploy refuses such lanes without it)."""
    return request.form.get("buat_peran") == "1"


@bp.route("/analis/modeler/periksa", methods=["POST"])
@page_login
@_json_errors
def modeler_check() -> Response:
    """Lint, then the dry run of moving the running instances to the version the draft would make."""
    who = _deployer()
    filename, xml, forms = _draft()
    _same_file_check(filename)
    result, plans = modeler.check_draft(modeler.draft_files(filename, xml, forms), deploys.manager_prefixes(who),
                                        create_roles=_create_roles())
    plan = next(iter(plans.values()), None)
    return jsonify({
        "ok": result.ok, "changed": result.changed, "message": result.message(), "problems": _problems(result.problems),
        "versions": [v.as_dict() for v in result.versions if v.outcome != "unchanged"],
        "plan": plan.as_dict() if plan else None,
        "plans": {pid: p.as_dict() for pid, p in plans.items()},
    }), 200 if result.ok else 422


@bp.route("/analis/modeler/pasang", methods=["POST"])
@page_login
@_json_errors
def modeler_deploy() -> Response:
    """The confirmed save: the deploy (which lints again), then, when asked, the moves the dry run planned."""
    who = _deployer()
    if request.form.get("konfirmasi") != "1":
        raise PageError(422, "konfirmasi: periksa dulu, lalu konfirmasi pemasangan")
    note = request.form.get("catatan", "").strip()
    if len(note) > NOTE_LIMIT:
        raise PageError(422, f"catatan: paling banyak {NOTE_LIMIT} karakter")
    filename, xml, forms = _draft()
    _same_file_check(filename)
    result = deploys.deploy(modeler.draft_files(filename, xml, forms), who.user.username, ORIGIN_UPLOAD,
                            note or "diubah di modeler", create_roles=_create_roles())
    body: dict[str, Any] = {"ok": result.ok, "changed": result.changed, "message": result.message(),
                            "problems": _problems(result.problems), "versions": [], "migration": None}
    if not result.ok:
        return jsonify(body), 422
    prefixes = deploys.manager_prefixes(who)
    for v in result.versions:
        if v.outcome == "unchanged":
            continue
        body["versions"].append({**v.as_dict(), "diagram_url": url_for("web.diagram_page", process_id=v.process_id,
                                                                       number=v.number),
                                 "diff_url": url_for("web.diff_page", process_id=v.process_id, dari=v.previous,
                                                     ke=v.number) if v.previous else None})
        if request.form.get("pindahkan") == "1":
            moves = modeler.move_instances(v.process_id, v.number, Actor(who.user.username, who.user.id), prefixes)
            body["migration"] = moves.as_dict()
    return jsonify(body), 201 if result.changed else 200

