"""Downloads of tables as CSV and XLSX, shared by the recaps and the forums' documents."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import Response

from api.web.common import local
from api.web.values import ISO_DATE, ISO_MOMENT

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "d mmm yyyy"
MOMENT_FORMAT = "d mmm yyyy hh:mm"


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as text (OWASP: = + - @, tab, carriage return)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def sheet_moment(value: Any, spec: dict[str, Any] | None = None, region: str | None = None) -> date | datetime | None:
    """A moment or a date as a spreadsheet cell, so it sorts and filters; None for any other value.

    A cell keeps no time zone: a moment is written as the wall time of the case's region, as the pages show it.
    """
    spec = spec if isinstance(spec, dict) else {}
    if isinstance(value, str):
        try:
            if spec.get("format") == "date" or ISO_DATE.match(value):
                return date.fromisoformat(value)
            if spec.get("format") == "date-time" or ISO_MOMENT.match(value):
                value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else local(value, region).replace(tzinfo=None)
    return None


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_download(rows: Iterable[list[Any]], filename: str) -> Response:
    """Rows (cells made safe here) as a CSV file, with a byte-order mark so spreadsheet programs read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers=_attachment(filename))


def xlsx_download(book: Any, filename: str) -> Response:
    """An openpyxl workbook as a file, each column of its sheet as wide as its longest value (10-60)."""
    for row in book.active.iter_rows():
        for c in row:
            if isinstance(c.value, int | float) and not isinstance(c.value, bool) and abs(c.value) >= 10_000:
                # Grouped like the pages show it (a year such as 2027 stays ungrouped); still a number.
                c.number_format = "#,##0" if float(c.value).is_integer() else "#,##0.##"
            elif isinstance(c.value, datetime):
                c.number_format = MOMENT_FORMAT
            elif isinstance(c.value, date):
                c.number_format = DATE_FORMAT
    for column in book.active.columns:
        width = max(len(str(c.value or "")) for c in column)
        book.active.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    data = io.BytesIO()
    book.save(data)
    return Response(data.getvalue(), mimetype=XLSX_TYPE, headers=_attachment(filename))
