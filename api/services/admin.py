"""What admins do to an instance: suspend, resume, cancel, retry after a fix. Each is audited."""

from __future__ import annotations

from typing import Any

from api.db import db
from api.errors import conflict, invalid, not_found
from api.models import STATUS_CANCELLED, STATUS_SUSPENDED, AuditEvent, Instance, PendingTask, User
from api.results import Acted
from api.services import unique_starts
from api.services.instances import Actor, commit_or_conflict, lock_instance, record, save, sync_tasks
from api.services.messages import sync_waits
from api.services.versions import runtime
from api.words import case_status_name
from engine import InstanceView, StateError, now


def _acted(instance: Instance) -> Acted:
    """What an admin action answers: the instance afterwards and the version it runs on."""
    return Acted(instance, runtime().by_row(instance.version_id))


def _locked(instance_id: int) -> Instance:
    instance = lock_instance(instance_id)
    if instance is None:
        raise not_found("kasus")
    return instance


def _claims(instance: Instance) -> dict[str, int]:
    """Who holds which of the instance's pending tasks (task id -> user id)."""
    rows = db.session.execute(
        db.select(PendingTask.id, PendingTask.claimed_by_id)
        .where(PendingTask.instance_id == instance.id, PendingTask.claimed_by_id.is_not(None))
    ).all()
    return {task_id: user_id for task_id, user_id in rows}


def _claims_at_suspension(instance: Instance) -> dict[str, int]:
    """The claims recorded by the instance's latest suspension."""
    detail = db.session.execute(
        db.select(AuditEvent.detail)
        .where(AuditEvent.instance_id == instance.id, AuditEvent.kind == "instance_suspended")
        .order_by(AuditEvent.id.desc()).limit(1)
    ).scalar()
    claims = (detail or {}).get("claims")
    if not isinstance(claims, dict) or not claims:
        return {}
    # A holder removed or deactivated meanwhile gets nothing back: the task returns unclaimed.
    active = set(db.session.execute(
        db.select(User.id).where(User.id.in_({int(v) for v in claims.values()}), User.active.is_(True))).scalars())
    return {str(k): int(v) for k, v in claims.items() if int(v) in active}


def suspend(instance_id: int, reason: str, actor: Actor) -> Acted:
    """Its tasks leave the inboxes and its timers wait; who held which task is kept in the audit trail."""
    instance = _locked(instance_id)
    if instance.status not in ("running", "waiting", "error"):
        raise conflict("invalid_status",
                       f"kasus berstatus {case_status_name(instance.status)}; tidak dapat ditangguhkan")
    claims = _claims(instance)
    instance.status = STATUS_SUSPENDED
    instance.updated_at = now()
    db.session.flush()
    sync_tasks(instance, [])
    record(instance, "instance_suspended", actor, {"reason": reason, **({"claims": claims} if claims else {})})
    commit_or_conflict()
    return _acted(instance)


def resume(instance_id: int, actor: Actor) -> Acted:
    """Its ready tasks come back to the inboxes, each still held by whoever held it when suspended."""
    instance = _locked(instance_id)
    if instance.status != STATUS_SUSPENDED:
        raise conflict("invalid_status",
                       f"kasus berstatus {case_status_name(instance.status)}; tidak sedang ditangguhkan")
    view = runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state)
    instance.status = view.status
    instance.updated_at = now()
    db.session.flush()
    claims = _claims_at_suspension(instance)
    for row in sync_tasks(instance, view.tasks):  # timers that fell due meanwhile fire on the worker's next round
        row.claimed_by_id = claims.get(row.id)
    record(instance, "instance_resumed", actor)
    commit_or_conflict()
    return _acted(instance)


def cancel(instance_id: int, reason: str, actor: Actor) -> Acted:
    instance = _locked(instance_id)
    if instance.status in ("complete", STATUS_CANCELLED):
        raise conflict("invalid_status",
                       f"kasus berstatus {case_status_name(instance.status)}; tidak dapat dibatalkan")
    instance.status = STATUS_CANCELLED
    instance.next_timer_at = None
    instance.finished_at = instance.updated_at = now()
    db.session.flush()
    sync_tasks(instance, [])
    unique_starts.release(instance)
    record(instance, "instance_cancelled", actor, {"reason": reason})
    commit_or_conflict()
    return _acted(instance)


def retry(
    instance_id: int, actor: Actor, task_id: str | None = None, changes: dict[str, Any] | None = None
) -> Acted:
    """Run an errored instance again, optionally after correcting a task's data.

    Two kinds of error: a step the engine recorded as failed (a script raised, the data
    bound refused) runs again here, under the sandbox; an instance the worker's watchdog
    stopped (its engine state has no failed step: the firing never finished) goes back
    to the worker, which fires its timers under the watchdog again. Running that firing
    here would put whatever stalled the worker into a web request, where nothing can
    stop it; so a poison still there is stopped again and the instance marked failed
    again, with the reason, while the worker goes on with the others.
    """
    instance = _locked(instance_id)
    if instance.status != "error":
        raise conflict("not_in_error", "kasus tidak dalam keadaan kesalahan")
    engine = runtime().engine
    version = runtime().by_row(instance.version_id).version
    state = instance.state
    if changes:
        if not task_id:
            raise invalid([{"field": "task_id", "message": "wajib diisi bila data diubah"}])
        try:
            state = engine.update_data(version, state, task_id, changes)
        except StateError as exc:
            raise invalid([{"field": "data", "message": str(exc)}]) from exc
    view = engine.inspect(version, state)
    if not view.errored:
        _hand_back_to_worker(instance, state, view, actor, {"task_id": task_id, "changes": changes or {}})
        return _acted(instance)
    result = engine.retry(version, state)
    record(instance, "instance_retried", actor, {"task_id": task_id, "changes": changes or {}})
    save(instance, result, actor)
    commit_or_conflict()
    return _acted(instance)


def stopped_by_watchdog(instance: Instance) -> bool:
    """An errored instance with no failed step: the worker's watchdog stopped it (api/watchdog.py)."""
    if instance.status != "error":
        return False
    version = runtime().by_row(instance.version_id).version
    try:
        return not runtime().engine.inspect(version, instance.state).errored
    except StateError:  # an unreadable state is a different trouble (the admin page says so)
        return False


def _hand_back_to_worker(instance: Instance, state: str, view: InstanceView, actor: Actor,
                         detail: dict[str, Any]) -> None:
    """Its status, tasks and next timer as the state says: the worker fires what is due on its next round."""
    instance.state = state
    instance.status = view.status
    instance.next_timer_at = view.next_timer
    instance.updated_at = now()  # also restarts the worker's backoff count (api/worker.py postpone)
    db.session.flush()
    sync_tasks(instance, view.tasks)
    sync_waits(instance, view.waits)
    record(instance, "instance_retried", actor, {**detail, "to_worker": True})
    commit_or_conflict()
