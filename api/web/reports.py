"""Laporan: per procedure, how many instances met or missed each deadline in a period, with an SVG chart.

A deadline's verdict is a boolean data field ending in `_tepat_waktu` that the diagram's
script computes (`respon_awal_tepat_waktu = on_time(batas_respon_awal, respon_awal_pada)`);
the report counts true (met), false (missed) and absent (no verdict yet), over every
instance of the period: only states that name a verdict field, or of cases still open, are opened.
A case still open whose deadline (the first argument of the verdict's `on_time`) has passed
without a verdict is late already: its verdict can only be "terlambat" when it comes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import render_template, request

from api.models import ACTIVE_STATUSES
from api.services.versions import runtime
from api.web import bp
from api.web.common import page_login, period, principal
from api.web.queries import late_pending, states_mentioning, status_counts
from engine import now

VERDICT_SUFFIX = "_tepat_waktu"


_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")
_VERDICT_SCRIPT = re.compile(r"\b(\w+" + VERDICT_SUFFIX + r")\s*=\s*on_time\(\s*(\w+)")
# Cases that may still reach a verdict; a finished one without it never took that step.
OPEN_STATUSES = (*ACTIVE_STATUSES, "suspended")


def verdict_deadlines(version: Any) -> dict[str, str]:
    """verdict field -> the data field holding its deadline, as the diagram's scripts compute the verdict
    (`respon_awal_tepat_waktu = on_time(batas_respon_awal, respon_awal_pada)`)."""
    found: dict[str, str] = {}
    for name, text in version.sources.items():
        if name.startswith("bpmn/"):
            for verdict, deadline in _VERDICT_SCRIPT.findall(text):
                found.setdefault(verdict, deadline)
    return found


def _passed(value: Any, moment: datetime) -> bool:
    """A deadline value (an ISO moment with its offset) lies before `moment`; anything unreadable has not."""
    try:
        due = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return due is not None and due.tzinfo is not None and due < moment


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
    moment = now()
    deadlines: dict[int, dict[str, str]] = {}  # per version of the cases read, each version's scripts read once
    for version_id, status, state in states_mentioning(process_id, prefixes, start, end, VERDICT_SUFFIX + '"',
                                                       also_statuses=OPEN_STATUSES):
        version = runtime().by_row(version_id).version
        if version_id not in deadlines:
            deadlines[version_id] = verdict_deadlines(version)
        data = runtime().engine.inspect(version, state).data
        for key, value in data.items():
            if key.endswith(VERDICT_SUFFIX) and isinstance(value, bool):
                verdicts.setdefault(key, {"tepat": 0, "terlambat": 0})
                verdicts[key]["tepat" if value else "terlambat"] += 1
        if status in OPEN_STATUSES:
            for key, deadline in deadlines[version_id].items():
                if not isinstance(data.get(key), bool) and _passed(data.get(deadline), moment):
                    verdicts.setdefault(key, {"tepat": 0, "terlambat": 0})
                    verdicts[key]["terlambat"] += 1
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
