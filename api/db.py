"""The database handle, a UTC timestamp type, and what differs between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, DateTime, Result, event
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.types import TypeDecorator

# A request commits once at its end; keeping loaded values after commit spares a reload
# of every object the response still reads.
db = SQLAlchemy(session_options={"expire_on_commit": False})
migrate = Migrate()


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (-1 where an executemany driver does not sum them).

    `Session.execute` is typed as returning a Result whatever the statement; for DML it is a CursorResult.
    """
    return cast("CursorResult[Any]", result).rowcount


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on both databases, returned timezone-aware.

    SQLite has no time zone type; storing naive UTC everywhere keeps comparisons
    (due moments, timers) identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


@event.listens_for(SqlEngine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets the inbox read while a completion writes; foreign keys are off by default.
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
