"""What admins do to an instance: suspend, resume, cancel, retry after a fix. Each is audited."""

from __future__ import annotations

from typing import Any

from api.db import db
from api.errors import conflict, invalid, not_found
from api.models import STATUS_CANCELLED, STATUS_SUSPENDED, AuditEvent, Instance, PendingTask, User
from api.services.instances import Actor, commit_or_conflict, lock_instance, record, save, sync_tasks
from api.services.versions import runtime
from engine import StateError, now


def _locked(instance_id: int) -> Instance:
    instance = lock_instance(instance_id)
    if instance is None:
        raise not_found("instance")
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


def suspend(instance_id: int, reason: str, actor: Actor) -> Instance:
    """Its tasks leave the inboxes and its timers wait; who held which task is kept in the audit trail."""
    instance = _locked(instance_id)
    if instance.status not in ("running", "waiting", "error"):
        raise conflict("invalid_status", f"kasus berstatus {instance.status}; tidak dapat ditangguhkan")
    claims = _claims(instance)
    instance.status = STATUS_SUSPENDED
    instance.updated_at = now()
    db.session.flush()
    sync_tasks(instance, [])
    record(instance, "instance_suspended", actor, {"reason": reason, **({"claims": claims} if claims else {})})
    commit_or_conflict()
    return instance


def resume(instance_id: int, actor: Actor) -> Instance:
    """Its ready tasks come back to the inboxes, each still held by whoever held it when suspended."""
    instance = _locked(instance_id)
    if instance.status != STATUS_SUSPENDED:
        raise conflict("invalid_status", f"kasus berstatus {instance.status}; tidak sedang ditangguhkan")
    view = runtime().engine.inspect(runtime().by_row(instance.version_id).version, instance.state)
    instance.status = view.status
    instance.updated_at = now()
    db.session.flush()
    claims = _claims_at_suspension(instance)
    for row in sync_tasks(instance, view.tasks):  # timers that fell due meanwhile fire on the worker's next round
        row.claimed_by_id = claims.get(row.id)
    record(instance, "instance_resumed", actor)
    commit_or_conflict()
    return instance


def cancel(instance_id: int, reason: str, actor: Actor) -> Instance:
    instance = _locked(instance_id)
    if instance.status in ("complete", STATUS_CANCELLED):
        raise conflict("invalid_status", f"kasus berstatus {instance.status}; tidak dapat dibatalkan")
    instance.status = STATUS_CANCELLED
    instance.next_timer_at = None
    instance.finished_at = instance.updated_at = now()
    db.session.flush()
    sync_tasks(instance, [])
    record(instance, "instance_cancelled", actor, {"reason": reason})
    commit_or_conflict()
    return instance


def retry(
    instance_id: int, actor: Actor, task_id: str | None = None, changes: dict[str, Any] | None = None
) -> Instance:
    """Run an errored instance's failed tasks again, optionally after correcting a task's data."""
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
    result = engine.retry(version, state)
    record(instance, "instance_retried", actor, {"task_id": task_id, "changes": changes or {}})
    save(instance, result, actor)
    commit_or_conflict()
    return instance
