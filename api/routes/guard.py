"""Who may call an operation is decided before its body or query is validated.

flask-smorest validates `@blp.arguments` before the view runs, so a check at the top of
the view came too late: an anonymous caller with a bad body got a 422 listing the
form's fields. Here an app-wide before_request runs each operation's check first:
every `/api/v1/` operation needs a login unless it is public, and an operation marked
`@authorize(check)` (the innermost decorator, so the mark is copied onto flask-smorest's
wrappers) runs `check` too, which raises 401/403. The view still calls its own check
for the principal it needs; the principal is cached per request, so that is no second query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from api.auth import require_login

OPEN_ENDPOINTS = frozenset({"auth.login"})  # besides the public blueprint
OPEN_BLUEPRINTS = frozenset({"public"})


def authorize(check: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view: `check()` runs before anything of the request is validated."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view._authorize = check  # type: ignore[attr-defined]
        return view

    return mark


def authorize_first() -> None:
    """before_request of the app: the login (and the operation's own check) before any validation."""
    if not request.path.startswith("/api/v1/") or request.endpoint is None:
        return
    if request.endpoint in OPEN_ENDPOINTS or request.blueprint in OPEN_BLUEPRINTS:
        return
    require_login()
    check = getattr(current_app.view_functions.get(request.endpoint), "_authorize", None)
    if check is not None:
        check()
