"""Web pages in Bahasa Indonesia: staff inbox and tasks, start forms, public complaint and tracking,
admin, analyst, recaps and reports. Server-rendered Jinja; JavaScript only adds conveniences."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/web/static")

from api.web import (  # noqa: E402,F401  (the modules register their routes on bp)
    admin,
    analyst,
    auth,
    common,
    decisions,
    inbox,
    modeler,
    organization,
    public,
    recap,
    reports,
    start,
    tasks,
    values,
)
