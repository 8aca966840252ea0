"""The failures background work expects, and what becomes of the rest.

The worker, the outbox and the prepared firings must survive one bad item, so their loops
catch broadly; each names the failures it expects (below). Anything else is a programming
error: it is logged with its traceback as before, and where `ALUR_RAISE_UNEXPECTED` is on
(by default whenever `TESTING` is) it is raised again, so the test that met it fails
instead of passing over a logged traceback.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from api.errors import ApiError
from engine import EngineError, ProcessFileError, ScriptError, StateError

# Running one stored instance: a refusal, a state that no longer loads, a stored version
# that no longer parses, a script beyond the sandbox; saving it: a conflict answered as ApiError.
RUN_FAILURES: tuple[type[Exception], ...] = (EngineError, StateError, ProcessFileError, ScriptError, ApiError)
# The database away, restarting, or another writer first (StaleDataError is one of these).
DATABASE_FAILURES: tuple[type[Exception], ...] = (SQLAlchemyError,)


def raise_if_unexpected(exc: Exception, *expected: type[Exception]) -> None:
    """Raise `exc` again when it is none of `expected` and unexpected failures must show."""
    if isinstance(exc, expected):
        return
    if raise_unexpected():
        raise exc


def raise_unexpected() -> bool:
    flag = current_app.config.get("ALUR_RAISE_UNEXPECTED")
    return bool(current_app.testing if flag is None else flag)
