"""What the public may do without logging in: which processes they may start, which fields the system
answers for them, a submission rate limit, and what tracking by code shows (nothing personal; only the
status when the report is confidential, and never an internal state).

Shared by the JSON routes and the public pages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, request
from sqlalchemy import text

from api import outbox
from api.db import db, is_postgres
from api.errors import ApiError, not_found
from api.models import Instance, OutboxMessage, PendingTask, RateHit, WaitingMessageRow
from api.moments import is_late, iso
from api.services import case_links, instances
from api.services.tracking import normalize
from api.services.versions import VersionRef, runtime
from api.zones import zone_of
from engine import FormRef, ProcessVersion, now

# The public status for each instance status: a fault, or the engine waiting on a timer or a message,
# is the office's business; the reporter only learns that the report is being handled.
PUBLIC_STATUS = {
    "running": "running",
    "waiting": "running",
    "error": "running",
    "complete": "complete",
    "suspended": "suspended",
    "cancelled": "cancelled",
}
# What the public reads for each public status.
STATUS_LABELS = {
    "running": "sedang diproses",
    "complete": "selesai",
    "suspended": "ditangguhkan",
    "cancelled": "dibatalkan",
}
# `{tahun_rkpd}` in a wait's public words: a data field the wait shares.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
# A public submission is the website channel: a choice field offering this value is set to it, not asked.
WEBSITE_CHANNEL = "website"


def public_status(status: str) -> str:
    return PUBLIC_STATUS.get(status, "running")


def status_label(status: str) -> str:
    return STATUS_LABELS[public_status(status)]


def public_ref(process_id: str) -> VersionRef:
    ref = runtime().current(process_id)
    if ref is None or ref.version.start.properties.get("publicStart") != "true":
        raise not_found("proses")
    return ref


def _choices(spec: dict[str, Any]) -> list[Any]:
    if isinstance(spec.get("oneOf"), list):
        return [o["const"] for o in spec["oneOf"] if isinstance(o, dict) and "const" in o]
    return list(spec["enum"]) if isinstance(spec.get("enum"), list) else []


def channel_fields(form: FormRef) -> dict[str, Any]:
    """Fields the channel itself answers: a single choice that offers 'website'."""
    properties = form.schema.get("properties", {})
    return {name: WEBSITE_CHANNEL for name, spec in properties.items()
            if isinstance(spec, dict) and spec.get("type") != "array" and WEBSITE_CHANNEL in _choices(spec)}


def recorded_fields(form: FormRef) -> set[str]:
    """Optional date-time fields: the moment received, which the system records when the report arrives."""
    required = set(form.schema.get("required", []))
    return {name for name, spec in form.schema.get("properties", {}).items()
            if isinstance(spec, dict) and spec.get("format") == "date-time" and name not in required}


def system_answered(form: FormRef) -> set[str]:
    """What a member of the public does not fill: the channel and the moment received."""
    return set(channel_fields(form)) | recorded_fields(form)


def public_data(form: FormRef, data: dict[str, Any]) -> dict[str, Any]:
    """The submitted data with the system's answers: channel fields set, recorded moments left to the system.

    A recorded moment sent by the client is dropped, not refused: the start form published to clients
    lists it, so a client that fills the form it was given keeps working, and the deadline still runs
    from the moment the report really arrived.
    """
    recorded = recorded_fields(form)
    return {**{k: v for k, v in data.items() if k not in recorded}, **channel_fields(form)}


def submit(ref: VersionRef, data: dict[str, Any], also: Callable[[Instance], None] | None = None) -> Instance:
    """A public submission: the system's answers applied, then checked before it spends the rate limit."""
    form = ref.version.start.form
    if form is not None:
        data = public_data(form, data)
        runtime().engine.validate(form, data)  # FormInvalid -> 422 with every field, and no rate-limit hit spent
    instances.region_of(ref, data)
    case_links.resolve(form, data)  # a code that names no case is refused before the rate limit too
    rate_limit()
    return instances.start(ref, data, instances.Actor("publik"), also=also)


def rate_limit() -> None:
    """At most N submissions per client address per window, counted in the database (shared by all workers).

    Count and insert are one step per address: on PostgreSQL a transaction lock on the address makes
    concurrent submissions wait in turn; on SQLite the first statement (the DELETE) takes the database's
    single write lock, held until the commit, which serializes them the same way.
    """
    key = f"public:{request.remote_addr or '?'}"
    moment = now()
    window = timedelta(seconds=current_app.config["ALUR_PUBLIC_WINDOW_SECONDS"])
    if is_postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    db.session.execute(db.delete(RateHit).where(RateHit.key == key, RateHit.at < moment - window))
    count = db.session.execute(
        db.select(db.func.count()).select_from(RateHit).where(RateHit.key == key, RateHit.at >= moment - window)
    ).scalar()
    if count >= current_app.config["ALUR_PUBLIC_LIMIT"]:
        oldest = db.session.execute(
            db.select(db.func.min(RateHit.at)).where(RateHit.key == key, RateHit.at >= moment - window)).scalar()
        db.session.commit()
        # When the oldest submission leaves the window a new one is counted again (at least a second from now).
        wait = max(1, math.ceil(((oldest or moment) + window - moment).total_seconds()))
        raise ApiError(429, "too_many_requests",
                       f"terlalu banyak kiriman dari alamat ini dalam {math.ceil(window.total_seconds() / 60)} "
                       f"menit terakhir; coba lagi dalam {math.ceil(wait / 60)} menit",
                       headers={"Retry-After": str(wait)})
    db.session.add(RateHit(key=key, at=moment))
    db.session.commit()


def tracking(code: str) -> dict[str, Any]:
    """Status, current steps with due moments, and the replies; nothing personal, only status if confidential."""
    instance = db.session.execute(
        db.select(Instance).filter_by(tracking_code=normalize(code))
    ).scalar_one_or_none()
    if instance is None:
        raise not_found("kode lacak")
    body: dict[str, Any] = {
        "tracking_code": instance.tracking_code,
        "status": public_status(instance.status),
        "status_label": status_label(instance.status),
    }
    if instance.confidential:
        return body
    moment = now()
    version = runtime().by_row(instance.version_id).version
    tasks = db.session.execute(
        db.select(PendingTask).filter_by(instance_id=instance.id).order_by(PendingTask.created_at)
    ).scalars()
    messages = db.session.execute(
        db.select(OutboxMessage).filter_by(instance_id=instance.id).order_by(OutboxMessage.id)
    ).scalars()
    waits = db.session.execute(
        db.select(WaitingMessageRow).filter_by(instance_id=instance.id).order_by(WaitingMessageRow.id)
    ).scalars().all()
    body.update({
        "process": version.name,
        "title": instance.title,
        "submitted_at": iso(received_at(instance, version)),
        "finished_at": iso(instance.finished_at),
        "time_zone": zone_of(instance.region),  # the office's clock, which the moments are read on
        "outcome": outcome_words(instance, version) if instance.status == "complete" else None,
        # What it waits for: the steps its diagram declares public, and decisions of another process (a forum).
        "steps": public_steps(list(tasks), version, moment)
        + [{"title": wait_words(w, version), "due_at": None, "late": False} for w in waits],
        "messages": [outbox.public_view(m) for m in messages],
        "links": case_links.public_links(instance),
    })
    return body


def public_steps(tasks: list[PendingTask], version: ProcessVersion, moment: datetime) -> list[dict[str, Any]]:
    """The waiting steps the diagram declares public (`publicStatus`), in its plain words, each once.

    Every other step (an escalation, an internal report) is the office's business and is left out.
    """
    steps: dict[str, dict[str, Any]] = {}
    for task in tasks:
        info = version.tasks.get(task.name)
        words = info.public_status if info else None
        if words and words not in steps:
            steps[words] = {"title": words, "due_at": iso(task.due_at), "late": is_late(task.due_at, moment)}
    return list(steps.values())


def wait_words(wait: WaitingMessageRow, version: ProcessVersion) -> str:
    """What the public reads while the case waits for another process: the catch's `publicStatus` with
    `{field}` filled from the data it shares (a proposal carried to next year's cycle names that year),
    else the catch's name."""
    words = version.wait_public_status.get(wait.element)
    if not words:
        return wait.title
    return fill_words(words, wait.fields or {}, version)


def outcome_words(instance: Instance, version: ProcessVersion) -> str | None:
    """How a finished case ended, for the public: the `publicStatus` of the end event it reached (the last
    one, when a branch ended earlier), filled from its final data; None when that end declares none."""
    if not version.end_public_status:
        return None
    view = runtime().engine.inspect(version, instance.state)
    reached = [step for step in view.completed if step.name in version.end_public_status]
    if not reached:
        return None
    last = max(reached, key=lambda step: step.finished or datetime.min.replace(tzinfo=UTC))
    return fill_words(version.end_public_status[last.name], view.data, version)


def fill_words(words: str, fields: Mapping[str, Any], version: ProcessVersion) -> str:
    """`{field}` in a diagram's public words replaced by the field's value; a value one of the procedure's
    forms offers as a choice reads as that choice's title (`bukan_kewenangan_kabupaten` is "Bukan
    kewenangan kabupaten"); an empty field leaves nothing, and the spaces around it are closed up."""
    titles = choice_titles(version)

    def value(found: re.Match) -> str:
        shown = fields.get(found.group(1))
        if not isinstance(shown, str | int) or isinstance(shown, bool):
            return ""
        return titles.get(shown, str(shown)) if isinstance(shown, str) else str(shown)

    return " ".join(_PLACEHOLDER.sub(value, words).split())


_CHOICE_TITLES: dict[str, dict[str, str]] = {}  # by version hash: a version's files never change


def choice_titles(version: ProcessVersion) -> dict[str, str]:
    """Every `oneOf` choice (`const` with a `title`) of the version's forms, rows included; the first wins."""
    found = _CHOICE_TITLES.get(version.hash)
    if found is None:
        found = {}
        for form in version.forms.values():
            _collect_choices(form.schema, found)
        _CHOICE_TITLES[version.hash] = found
    return found


def _collect_choices(schema: Any, found: dict[str, str]) -> None:
    if isinstance(schema, Mapping):
        for choice in schema.get("oneOf", ()) if isinstance(schema.get("oneOf"), list) else ():
            if isinstance(choice, Mapping) and isinstance(choice.get("const"), str) and choice.get("title"):
                found.setdefault(choice["const"], str(choice["title"]))
        for key, sub in schema.items():
            if key != "oneOf":
                _collect_choices(sub, found)
    elif isinstance(schema, list):
        for sub in schema:
            _collect_choices(sub, found)


RECEIVED_FIELD = "receivedField"  # start-event property: the data field holding the moment the case was received


def received_at(instance: Instance, version: ProcessVersion) -> datetime:
    """When the case was received: the field the start event names in `receivedField` (a case entered later,
    from paper or an import, says when it really arrived; a script may fill it at the start), else the start
    form's recorded moment, else when the instance was created."""
    form = version.start.form
    declared = version.start.properties.get(RECEIVED_FIELD)
    fields = [declared] if declared else sorted(recorded_fields(form)) if form else []
    if fields:
        data = runtime().engine.inspect(version, instance.state).data
        for name in fields:
            moment = parse_moment(data.get(name))
            if moment is not None:
                return moment.astimezone(UTC)  # answered in UTC like every stored moment
    return instance.created_at


def parse_moment(value: Any) -> datetime | None:
    """An ISO date-time with its zone (as forms store it), or None for anything else."""
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
