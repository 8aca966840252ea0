"""Admin pages of the organization: roles, units, regions and users with their grants, one page each,
with a form to add or change one, removal, and the CSV download and upload (api/services/organization.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from api.db import db
from api.errors import ApiError
from api.services import organization as org
from api.web import bp
from api.web.common import PageError, page_login, principal
from api.zones import ZONES

KINDS = {"peran": "Peran", "unit": "Unit organisasi", "wilayah": "Wilayah", "pengguna": "Pengguna"}


def _admin() -> None:
    if "" not in principal().prefixes(current_app.config["ALUR_ADMIN_ROLE"]):
        raise PageError(403, "halaman organisasi hanya untuk admin seluruh wilayah")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise PageError(404, "halaman tidak ditemukan")
    return kind


# The form's inputs of each kind: a refusal of one of them is shown beside it.
FORM_INPUTS = {"peran": ("nama", "keterangan"), "unit": ("kode", "nama", "jenis", "induk", "wilayah"),
               "wilayah": ("kode", "nama", "tingkat", "induk", "zona_waktu"),
               "pengguna": ("username", "nama_lengkap", "email", "kata_sandi", "hak")}


def _refused(exc: ApiError, inputs: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Flash the refusal; the messages of `inputs` are returned (input -> messages) to show beside them."""
    beside: dict[str, list[str]] = {}
    elsewhere = []
    for problem in exc.fields:
        name, message = _form_field(problem["field"], problem["message"])
        if name in inputs:
            beside.setdefault(name, []).append(message)
        else:
            elsewhere.append(f"{name}: {message}")
    flash(exc.message + (f" ({'; '.join(elsewhere)})" if elsewhere else ""), "galat")
    return beside


@bp.route("/admin/organisasi")
@page_login
def org_home():
    _admin()
    return redirect(url_for("web.org_page", kind="peran"))


@bp.route("/admin/organisasi/<kind>")
@page_login
def org_page(kind: str):
    _admin()
    return _render(_kind(kind))


def _render(kind: str, values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None) -> str:
    listing = {"peran": org.list_roles, "unit": org.list_units, "wilayah": org.list_regions,
               "pengguna": org.list_users}
    return render_template("organization.html", kind=kind, kinds=KINDS, rows=listing[kind](),
                           unit_kinds=org.UNIT_KINDS, region_levels=org.REGION_LEVELS, zones=ZONES,
                           columns=org.CSV_COLUMNS[kind], values=values or {}, errors=errors or {})


def _form_field(field: str, message: str) -> tuple[str, str]:
    """(input, message): a refused grant belongs to the Hak box, by its line ('hak.0.peran' -> 'baris 1, peran')."""
    head, _, rest = field.partition(".")
    index, _, column = rest.partition(".")
    if head == "hak" and index.isdigit():
        return "hak", f"baris {int(index) + 1}, {column}: {message}"
    return field, message


def _form_grants(text: str) -> list[org.GrantSpec]:
    """One grant per line: ROLE[@REGION][#UNIT]."""
    return [org.parse_grant(line) for line in text.splitlines() if line.strip()]


@bp.route("/admin/organisasi/<kind>", methods=["POST"])
@page_login
def org_save(kind: str):
    _admin()
    form = request.form
    try:
        if _kind(kind) == "peran":
            new = org.save_role(form.get("nama", "").strip(), form.get("keterangan", "").strip())
        elif kind == "unit":
            new = org.save_unit({k: form.get(k, "").strip() for k in ("kode", "nama", "jenis", "induk", "wilayah")})
        elif kind == "wilayah":
            new = org.save_region({k: form.get(k, "").strip()
                                  for k in ("kode", "nama", "tingkat", "induk", "zona_waktu")})
        else:
            new = org.save_user(form.get("username", "").strip(), form.get("nama_lengkap", "").strip(),
                                form.get("email", "").strip(), form.get("kata_sandi") or None,
                                bool(form.get("aktif")), _form_grants(form.get("hak", "")))
        db.session.commit()
        flash(f"{KINDS[kind]} {'ditambahkan' if new else 'diperbarui'}.", "sukses")
    except ApiError as exc:
        db.session.rollback()
        errors = _refused(exc, FORM_INPUTS[kind])
        # The form again as it was sent (but the password), each refusal beside its input.
        typed = {k: v for k, v in form.items() if k in FORM_INPUTS[kind] and k != "kata_sandi"}
        return _render(kind, {**typed, "aktif": form.get("aktif", "")}, errors), exc.status
    return redirect(url_for("web.org_page", kind=kind))


@bp.route("/admin/organisasi/<kind>/hapus", methods=["POST"])
@page_login
def org_remove(kind: str):
    _admin()
    removers = {"peran": org.remove_role, "unit": org.remove_unit, "wilayah": org.remove_region,
                "pengguna": org.remove_user}
    key = request.form.get("kunci", "")
    try:
        removers[_kind(kind)](key)
        flash(f"{KINDS[kind]} {key} " + ("dinonaktifkan." if kind == "pengguna" else "dihapus."), "sukses")
    except ApiError as exc:
        db.session.rollback()
        _refused(exc)
        return _back(kind, exc.status)
    return redirect(url_for("web.org_page", kind=kind))


def _back(kind: str, status: int) -> Any:
    """A refusal answered on the page itself, with its status (409 while in use), the message flashed above."""
    return _render(kind), status


@bp.route("/admin/organisasi/<kind>.csv")
@page_login
def org_export(kind: str):
    _admin()
    return Response(org.export_csv(_kind(kind)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'})


@bp.route("/admin/organisasi/<kind>/impor", methods=["POST"])
@page_login
def org_import(kind: str):
    _admin()
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        flash("Pilih berkas CSV.", "galat")
        return _back(_kind(kind), 422)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("Berkas bukan teks UTF-8.", "galat")
        return _back(_kind(kind), 422)
    try:
        flash(f"Impor {org.import_csv(_kind(kind), text).message()}.", "sukses")
    except ApiError as exc:
        _refused(exc)
        return _back(kind, exc.status)
    return redirect(url_for("web.org_page", kind=kind))
