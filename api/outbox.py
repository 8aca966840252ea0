"""Messages to people outside the office: written with the state, delivered later by the worker.

A procedure's outgoing message (e.g. a reply to a reporter) becomes an outbox row in
the same transaction as the state that sent it, so a reply exists exactly when its
step happened. The worker delivers pending rows through a sender for the row's
channel (email over SMTP here; an SMS or WhatsApp gateway is another sender), retries
failures with growing pauses, and after the last attempt marks the row failed,
where admins see it and can send it again. Nothing is deleted.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from typing import Any, Protocol

from flask import current_app

from api.db import db, is_postgres
from api.failures import raise_if_unexpected
from api.models import Instance, OutboxMessage
from engine import OutgoingMessage, now

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, NO_RECIPIENT = "pending", "sent", "failed", "no_recipient"
# Keys of a message payload that address the recipient: never shown publicly.
CONTACT_KEYS = ("email", "telepon")

# What sending can meet: the server away or refusing (smtplib's errors are OSErrors), an address or text
# the mail library cannot encode (ValueError), a message it cannot build (MessageError).
DELIVERY_FAILURES: tuple[type[Exception], ...] = (OSError, ValueError, MessageError)


class Sender(Protocol):
    def send(self, recipient: str, subject: str, body: str) -> None: ...


class SmtpSender:
    """Plain SMTP (optionally STARTTLS and login), one connection per message: the volume is small."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host, self.port = config["SMTP_HOST"], config["SMTP_PORT"]
        self.user, self.password = config.get("SMTP_USER"), config.get("SMTP_PASSWORD")
        self.starttls, self.sender = config.get("SMTP_STARTTLS"), config["SMTP_FROM"]

    def send(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def senders() -> dict[str, Sender]:
    """The channels that can deliver now, from the configuration."""
    config = current_app.config
    found: dict[str, Sender] = dict(current_app.extensions.get("alur_senders", {}))
    if config.get("SMTP_HOST") and "email" not in found:
        found["email"] = SmtpSender(config)
    return found


def message_fields(message: OutgoingMessage, moment: datetime) -> dict[str, Any]:
    """An outbox row's columns (without instance_id) for a message sent at `moment`.

    Shared by `enqueue` and the worker's bulk apply of prepared timer firings, so both write the same rows.
    """
    payload = message.payload if isinstance(message.payload, dict) else {"isi": message.payload}
    email, phone = payload.get("email"), payload.get("telepon")
    if email:
        channel, recipient, status = "email", str(email), PENDING
    elif phone:
        channel, recipient, status = "sms", str(phone), PENDING
    else:
        channel, recipient, status = "none", None, NO_RECIPIENT
    return {"name": message.name, "payload": payload, "channel": channel, "recipient": recipient, "status": status,
            "attempts": 0, "next_attempt_at": moment if status == PENDING else None, "created_at": moment}


def enqueue(instance: Instance, message: OutgoingMessage) -> OutboxMessage:
    row = OutboxMessage(instance_id=instance.id, **message_fields(message, now()))
    db.session.add(row)
    return row


def public_view(row: OutboxMessage) -> dict[str, Any]:
    """What tracking shows of a message: its kind, text and moment, no contact details."""
    return {
        "name": row.name,
        "jenis": row.payload.get("jenis"),
        "isi": row.payload.get("isi"),
        "created_at": row.created_at.isoformat(),
        "delivered": row.status == SENT,
    }


def _subject(row: OutboxMessage, tracking_code: str) -> str:
    kind = row.payload.get("jenis") or row.name.replace("_", " ")
    return f"[{tracking_code}] {kind}"


def _body(row: OutboxMessage, tracking_code: str) -> str:
    text = row.payload.get("isi") or ""
    return f"{text}\n\nKode lacak: {tracking_code}\n"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most one hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def deliver_due(limit: int = 50) -> int:
    """Send pending messages whose attempt is due; one transaction per message. Returns how many were tried."""
    available = senders()
    if not available:
        return 0
    tried = 0
    max_attempts = current_app.config["ALUR_OUTBOX_MAX_ATTEMPTS"]
    ids = db.session.execute(
        db.select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.channel.in_(list(available)),
            OutboxMessage.next_attempt_at <= now(),
        )
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ).scalars().all()
    db.session.rollback()
    for message_id in ids:
        query = db.select(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        if is_postgres():
            query = query.with_for_update(skip_locked=True)  # another worker has it
        row = db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
        if row is None:
            db.session.rollback()
            continue
        code = db.session.get(Instance, row.instance_id).tracking_code
        tried += 1
        try:
            available[row.channel].send(row.recipient or "", _subject(row, code), _body(row, code))
        except Exception as exc:  # a sender's failure is recorded and retried: one message must not stop the rest
            if not isinstance(exc, DELIVERY_FAILURES):
                log.exception("outbox %s: unexpected failure while sending", row.id)
                raise_if_unexpected(exc)
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            if row.attempts >= max_attempts:
                row.status = FAILED
                row.next_attempt_at = None
            else:
                row.next_attempt_at = now() + backoff(row.attempts)
            log.warning("outbox %s: delivery failed (%s)", row.id, row.last_error)
        else:
            row.attempts += 1
            row.status, row.sent_at, row.last_error = SENT, now(), None
        db.session.commit()
    return tried


def retry(row: OutboxMessage) -> None:
    """An admin sends a failed message again."""
    row.status, row.next_attempt_at, row.last_error = PENDING, now(), None


def next_attempt() -> datetime | None:
    """The earliest attempt the worker can make: messages of a channel without a sender wait for one."""
    available = senders()
    if not available:
        return None
    return db.session.execute(
        db.select(db.func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status == PENDING, OutboxMessage.channel.in_(list(available)))
    ).scalar()
