"""Tables: process versions, instances, pending tasks, audit events, users, outbox, case links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import UTCDateTime, db

# BigInteger primary keys that still autoincrement on SQLite (which only does so for INTEGER).
BigId = BigInteger().with_variant(Integer, "sqlite")

# Instance statuses beyond the engine's (running, waiting, complete, error).
STATUS_SUSPENDED = "suspended"
STATUS_CANCELLED = "cancelled"
ACTIVE_STATUSES = ("running", "waiting", "error")  # an instance someone or something may still move
TIMER_STATUSES = ("running", "waiting")  # the worker only fires timers of these
INSTANCE_STATUSES = (*ACTIVE_STATUSES, "complete", "suspended", "cancelled")  # every status an instance takes
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # sort key of a task without a due moment: last
# Where a version came from: the files read at start-up, `alur deploy`, or an upload.
ORIGIN_FILES = "berkas"
ORIGIN_CLI = "cli"
ORIGIN_UPLOAD = "unggah"


class ProcessVersionRow(db.Model):
    """One version of one process, stored once: the files it was built from and its hash."""

    __tablename__ = "process_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # v1, v2, ... per process
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    sources: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False)  # "bpmn/<f>", "forms/<f>" -> text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    deployed_by: Mapped[str] = mapped_column(String(100), nullable=False, default="sistem")
    origin: Mapped[str] = mapped_column(String(20), nullable=False, default=ORIGIN_FILES)
    note: Mapped[str | None] = mapped_column(Text)
    # Which version of a process new instances start on is decided here, in the database, so every
    # worker process agrees: the row with the highest activation. A deploy takes max + 1 over all
    # processes (one global counter), so "did anything change?" is a single indexed max() per request.
    # Redeploying an older version's content (a rollback) gives that row a new activation.
    activation: Mapped[int] = mapped_column(Integer, nullable=False)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    activated_by: Mapped[str] = mapped_column(String(100), nullable=False, default="sistem")
    __table_args__ = (
        UniqueConstraint("process_id", "hash", name="uq_process_versions_hash"),
        UniqueConstraint("process_id", "number", name="uq_process_versions_number"),
        UniqueConstraint("activation", name="uq_process_versions_activation"),
    )


class Instance(db.Model):
    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), nullable=False)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False)  # engine state without the spec
    tracking_code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    region: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    start_lane: Mapped[str | None] = mapped_column(String(100))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_by_name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Copied from the data at every save so privacy checks need no state load.
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # earliest due moment of its pending tasks
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Every UPDATE says WHERE lock_version = <the one read>: the optimistic guard against lost updates.
    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        Index("ix_instances_next_timer", "next_timer_at"),
        Index("ix_instances_process_status", "process_id", "status"),
        Index("ix_instances_process_version", "process_id", "version_id", "status"),  # migration filters
        Index("ix_instances_region", "region"),
        Index("ix_instances_created", "created_at"),
    )


class PendingTask(db.Model):
    """A human task waiting for someone; rewritten with the state on every save. The inbox reads only this."""

    __tablename__ = "pending_tasks"
    # The engine's task id (a UUID). Bytewise on PostgreSQL (migration 0014): the inbox's tie-break sorts fast.
    id: Mapped[str] = mapped_column(String(36).with_variant(String(36, collation="C"), "postgresql"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    process_id: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # BPMN element id
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    instance_title: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    lane: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    region: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    form: Mapped[str | None] = mapped_column(String(300))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # due_at, or the far future when there is none: the inbox's order, walkable from an index on both databases.
    sort_key: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit (OPD, bidang, Komisi) the task is routed to by its `unitField`; None: every holder of the lane.
    unit: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (
        # Covers the inbox: the (lane, region range) filter and the order, without touching the table.
        # The unit comes last: a unit grant's test is then read from the index too (no row lookups).
        Index("ix_pending_tasks_inbox", "lane", "region", "sort_key", "id", "unit"),
        # A wide grant (a whole regency) matches most rows: walking the lane in due order and
        # stopping after one page beats sorting every row of the region range.
        Index("ix_pending_tasks_lane_order", "lane", "sort_key", "id", "region", "unit"),
        Index("ix_pending_tasks_instance", "instance_id"),
    )


class AuditEvent(db.Model):
    """Append-only history: who did what to which instance, when."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    __table_args__ = (
        Index("ix_audit_events_instance", "instance_id", "id"),
        Index("ix_audit_events_task", "task_id"),
    )


class User(db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class RoleGrant(db.Model):
    """A user holds a role (a lane name, or Admin / Pemantau) within a region prefix ('' = everywhere).

    With a unit, the grant sees the lane's tasks routed to that unit or to a unit below it, and the
    tasks routed to no unit; without one, every task of the lane in the region (see api/services/inbox.py).
    """

    __tablename__ = "role_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(100), nullable=False)
    region_prefix: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    unit: Mapped[str | None] = mapped_column(String(100))
    __table_args__ = (
        UniqueConstraint("user_id", "role", "region_prefix", "unit", name="uq_role_grants"),
        Index("ix_role_grants_role", "role"),
        Index("ix_role_grants_unit", "unit"),
    )


class Role(db.Model):
    """A role users hold and lanes name; created by an admin, a deploy (--create-roles) or the seed."""

    __tablename__ = "roles"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Unit(db.Model):
    """An organizational unit (OPD, bidang, Komisi/AKD, kantor kecamatan) that tasks can be routed to."""

    __tablename__ = "units"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)  # ASCII slug, unique system-wide
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # opd, bidang, akd, kecamatan, lembaga, ...
    parent: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    __table_args__ = (Index("ix_units_parent", "parent"),)


class ApiToken(db.Model):
    """A login: the bearer token's hash (the token itself is shown once); revocable, and void after expires_at."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """A message to someone outside (the reporter), written with the state that produced it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)  # email, sms, none
    recipient: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending, sent, failed, no_recipient
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_instance", "instance_id"),
    )


class UniqueStart(db.Model):
    """The values of a start event's `uniqueStart` fields that one open or finished case of a process holds.

    One forum per desa and RKPD year: the unique constraint refuses a second case with the same values even
    when two starts race; a cancelled case gives its row up, so the forum can be held again.
    """

    __tablename__ = "unique_starts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the fields' values as JSON
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    __table_args__ = (
        UniqueConstraint("process_id", "key", name="uq_unique_starts"),
        Index("ix_unique_starts_instance", "instance_id"),
    )


class CaseLink(db.Model):
    """One case naming another by its tracking code, in a form field marked `x-alur-case-link`.

    Written with the save that stored the field; read both ways (the complaint names the proposal,
    the proposal lists the complaints about it), so both ends are indexed.
    """

    __tablename__ = "case_links"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    target_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    field: Mapped[str] = mapped_column(String(100), nullable=False)  # the form field that named the target
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (
        UniqueConstraint("source_id", "field", "target_id", name="uq_case_links"),
        Index("ix_case_links_target", "target_id"),
    )


class Region(db.Model):
    """A named region path (kode wilayah, extended with /RWnn/RTnnn) for pickers and display."""

    __tablename__ = "regions"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    parent: Mapped[str | None] = mapped_column(String(100))
    # IANA name; empty means the zone of the nearest region above (api/zones.py).
    time_zone: Mapped[str | None] = mapped_column(String(40))
    __table_args__ = (Index("ix_regions_parent", "parent"),)


class RateHit(db.Model):
    """One public submission by a client address, counted for the rate limit (shared by all workers)."""

    __tablename__ = "rate_hits"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (Index("ix_rate_hits_key_at", "key", "at"),)


class PreparedFiring(db.Model):
    """A timer firing computed before its due moment, written in bulk when it comes (api/worker.py).

    Valid only while the instance still has `for_lock_version`: any save bumps the
    instance's version counter, so a preparation made from an older state is never
    applied (the worker deletes it and fires the normal way).
    """

    __tablename__ = "prepared_firings"
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    for_lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # privacy.flags of the data after firing, as save() copies them onto the instance.
    anonymous: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    tasks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)  # ready human tasks, pending-row fields
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)  # audit rows without instance/at
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)  # outgoing: name, payload
    # False: the engine fired nothing (or failed) at the due moment; kept so the instance is not prepared again
    # every round, and left to the normal path when due.
    fires: Mapped[bool] = mapped_column(Boolean, nullable=False)
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (Index("ix_prepared_firings_due", "due_at"),)


class WaitingMessageRow(db.Model):
    """A message catch an instance waits at; rewritten with the state on every save, like pending_tasks.

    A message another instance sends is delivered by looking up (name, correlation value)
    here, and a batch step lists what waits at one element in a region from (process, element,
    region). `fields` are the data the catch event shares with the deciding process (`batchFields`).
    """

    __tablename__ = "waiting_messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    process_id: Mapped[str] = mapped_column(String(100), nullable=False)
    element: Mapped[str] = mapped_column(String(100), nullable=False)  # BPMN id of the catch event
    title: Mapped[str] = mapped_column(String(300), nullable=False, default="")  # its name, for tracking pages
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # message name
    correlation_key: Mapped[str | None] = mapped_column(String(100))
    correlation_value: Mapped[str | None] = mapped_column(String(300))
    region: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (
        Index("ix_waiting_messages_delivery", "name", "correlation_value"),
        Index("ix_waiting_messages_batch", "process_id", "element", "region"),
        Index("ix_waiting_messages_instance", "instance_id"),
    )


class IdempotencyKey(db.Model):
    """A start request's Idempotency-Key: a retry with the same key and body gets the same instance back.

    Written in the transaction that creates the instance; the unique (scope, key) makes two
    concurrent requests with one key create one instance (the second's commit fails, and it
    answers with the first's). Kept `ALUR_IDEMPOTENCY_HOURS`; an older key counts as new.
    """

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), nullable=False)  # "user:<id>" or "public:<client address>"
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of the operation and its body
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
        Index("ix_idempotency_keys_created", "created_at"),
    )


# Bytewise order on PostgreSQL too, so `term >= 'ab' AND term < 'ab{'` is a prefix range on the index.
SEARCH_TERM = String(50).with_variant(String(50, collation="C"), "postgresql")


class SearchTerm(db.Model):
    """One normalized word of an instance's title, tracking code or reporter, for free-text search by prefix.

    `personal` words (the reporter's, from fields marked x-alur-personal) only match while the
    instance is neither anonymous nor confidential.
    """

    __tablename__ = "search_terms"
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(SEARCH_TERM, primary_key=True)
    personal: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    __table_args__ = (Index("ix_search_terms_term", "term", "instance_id", "personal"),)
