"""Laporan: per procedure, how many instances met or missed each deadline in a period, with an SVG chart.

A deadline's verdict is a boolean data field ending in `_tepat_waktu` that the diagram's
script computes (`respon_awal_tepat_waktu = on_time(batas_respon_awal, respon_awal_pada)`);
the report counts true (met), false (missed) and absent (no verdict yet), over every
instance of the period: only states that name a verdict field are opened.
"""

from __future__ import annotations

import re
from typing import Any

from flask import render_template, request

from api.services.versions import runtime
from api.web import bp
from api.web.common import page_login, period, principal
from api.web.queries import late_pending, states_mentioning, status_counts
from engine import now

VERDICT_SUFFIX = "_tepat_waktu"


_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")


def deadline_label(field: str, acronyms: frozenset[str] = frozenset()) -> str:
    """`rkpd_tepat_waktu` -> "RKPD": the verdict's stem in words, first letter up, and each word the diagram
    writes in capitals (RKPD, OPD, SIPD) in capitals here too, not as "Rkpd"."""
    words = [w.upper() if w.upper() in acronyms else w for w in field[: -len(VERDICT_SUFFIX)].split("_")]
    stem = " ".join(words)
    return stem[:1].upper() + stem[1:]


def diagram_acronyms(version: Any) -> frozenset[str]:
    """The words written in capitals in the names of a version: the process and its steps."""
    names = [version.name, *(task.title for task in version.tasks.values())]
    return frozenset(word for name in names for word in _CAPITALS.findall(name or ""))


def report_for(process_id: str, prefixes: list[str], start, end) -> dict[str, Any]:
    """Every instance started in the period counts: totals by SQL, verdicts from each state that records one."""
    ref = runtime().current(process_id)
    statuses = status_counts(process_id, prefixes, start, end)
    total = sum(statuses.values())
    verdicts: dict[str, dict[str, int]] = {}
    for version_id, state in states_mentioning(process_id, prefixes, start, end, VERDICT_SUFFIX + '"'):
        data = runtime().engine.inspect(runtime().by_row(version_id).version, state).data
        for key, value in data.items():
            if key.endswith(VERDICT_SUFFIX) and isinstance(value, bool):
                verdicts.setdefault(key, {"tepat": 0, "terlambat": 0})
                verdicts[key]["tepat" if value else "terlambat"] += 1
    rows = []
    for key in sorted(verdicts):
        counts = verdicts[key]
        counts["belum"] = total - counts["tepat"] - counts["terlambat"]
        rows.append({"field": key, "label": deadline_label(key, diagram_acronyms(ref.version)), **counts})
    return {"id": process_id, "name": ref.version.name, "total": total, "statuses": statuses,
            "deadlines": rows, "late_now": late_pending(process_id, prefixes, now()), "chart": chart(rows)}


def chart(rows: list[dict[str, Any]], width: int = 640) -> dict[str, Any]:
    """Geometry of a horizontal stacked bar per deadline (met, missed, no verdict yet), drawn by the template."""
    label_w, bar_h, gap = 190, 22, 14
    bars = []
    total_max = max((r["tepat"] + r["terlambat"] + r["belum"] for r in rows), default=0) or 1
    scale = (width - label_w - 50) / total_max
    for i, row in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        x = label_w
        parts = []
        for key in ("tepat", "terlambat", "belum"):
            w = row[key] * scale
            parts.append({"key": key, "x": round(x, 1), "w": round(w, 1), "n": row[key]})
            x += w
        bars.append({"label": row["label"], "y": y, "parts": parts, "end": round(x + 6, 1), "total":
                     row["tepat"] + row["terlambat"] + row["belum"]})
    return {"width": width, "height": 20 + len(rows) * (bar_h + gap), "bar_h": bar_h, "label_w": label_w, "bars": bars}


@bp.route("/laporan")
@page_login
def reports():
    prefixes = sorted({p for _, p in principal().grants})
    start, end, start_text, end_text = period(request.args)
    wanted = request.args.get("proses")
    ids = [pid for pid in runtime().process_ids() if not wanted or pid == wanted]
    reports_ = [report_for(pid, prefixes, start, end) for pid in ids] if prefixes else []
    return render_template("reports.html", reports=reports_, start=start_text, end=end_text, wanted=wanted,
                           processes={pid: runtime().current(pid).version.name for pid in runtime().process_ids()})
