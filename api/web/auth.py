"""Masuk (login) and keluar (logout), with the same token-backed session as the API."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for

from api.auth import check_credentials, current_principal, issue_token, revoke_token
from api.db import db
from api.services import login_throttle
from api.services.admin_scope import scope_prefixes
from api.services.deploy import analyst_role
from api.web import bp
from api.web.common import csrf_token, safe_next


def home_for_current() -> str:
    who = current_principal()
    if who is None:
        return url_for("web.login")
    analyst = analyst_role()
    special = {current_app.config["ALUR_ADMIN_ROLE"], current_app.config["ALUR_VIEWER_ROLE"], analyst}
    if not (who.roles - special) and scope_prefixes(who, act=False):
        return url_for("web.admin_instances")
    if who.roles == {analyst}:
        return url_for("web.analyst")
    return url_for("web.inbox")


@bp.route("/")
def home():
    return redirect(home_for_current())


@bp.route("/masuk", methods=["GET", "POST"])
def login():
    target = safe_next(request.values.get("next"), "")
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:80]
        try:
            login_throttle.check(username)
        except login_throttle.LoginThrottled as throttled:
            page = render_template("login.html", error=throttled.message[:1].upper() + throttled.message[1:] + ".",
                                   username=username, next=target)
            return page, 429, throttled.headers
        user = check_credentials(username, request.form.get("password", "")[:200])
        if user is None:
            login_throttle.failed(username)
            error = "Nama pengguna atau kata sandi salah."
        else:
            login_throttle.succeeded(username)
            token, _raw = issue_token(user, "web")
            db.session.commit()
            session.clear()  # a new session after login: no fixation
            session["token_id"] = token.id
            session.permanent = False
            csrf_token()
            return redirect(target or home_for_current())
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username, next=target), status


@bp.route("/keluar", methods=["POST"])
def logout():
    who = current_principal()
    if who is not None:
        revoke_token(who.token_id, who.user.id)
        db.session.commit()
    session.clear()
    csrf_token()
    return redirect(url_for("web.login"))
