"""Region paths and prefixes: `33.13.05.2001/RW02/RT001` is inside `33.13.05`, not inside `33.13.0`.

A prefix contains a path when the path equals it or continues it after a separator
('.' or '/'). In SQL that is `region = p OR region >= p'.' AND region < p'0'`:
'.' (0x2E), '/' (0x2F) and '0' (0x30) are consecutive, so the range holds exactly
the paths continuing p after a separator, and both databases answer it from an index.
An empty prefix holds everything; an empty region (a process without a region field)
is seen by every holder of the role.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import QueryableAttribute

SEPARATORS = "./"
_VALID = re.compile(r"^[0-9A-Za-z]+([./][0-9A-Za-z]+)*$")


def is_valid_path(path: str) -> bool:
    return path == "" or bool(_VALID.match(path))


def contains(prefix: str, region: str) -> bool:
    """Does the prefix `prefix` hold the region path `region` (segment-wise)?"""
    if prefix == "" or region == "":
        return True
    return region == prefix or (region.startswith(prefix) and region[len(prefix)] in SEPARATORS)


def sql_contains(column: ColumnElement[Any] | QueryableAttribute[Any], prefix: str) -> ColumnElement[bool]:
    """SQL for `contains(prefix, column)`, written as an index range."""
    if prefix == "":
        return true()
    return or_(column == prefix, column == "", and_(column >= prefix + ".", column < prefix + "0"))
