"""Failed logins slow down further attempts, per account and per client address; nothing locks for good.

Failures are rows of the shared `rate_hits` table (every gunicorn worker sees the
same counts), keyed `login-user:<name>` and `login-addr:<address>`. Within
`ALUR_LOGIN_WINDOW_SECONDS`, the first `ALUR_LOGIN_FREE_FAILURES` failures of an
account (`ALUR_LOGIN_ADDRESS_FAILURES` of an address, which may be an office behind
one NAT) cost nothing; each one after that makes the next attempt wait
`ALUR_LOGIN_DELAY_SECONDS`, doubling per failure, never more than the window. An
attempt during the wait is refused (429 with Retry-After) before the password is
even checked, so it neither guesses nor prolongs the wait. Failures older than the
window are forgotten and a successful login clears the account's, so an attacker
can slow an account down but never lock its owner out for longer than the window
after the attacks stop.
"""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import text

from api.db import db, is_postgres
from api.errors import ApiError
from api.models import RateHit
from engine import now


class LoginThrottled(ApiError):
    def __init__(self, seconds: int) -> None:
        super().__init__(429, "too_many_attempts",
                         f"terlalu banyak percobaan masuk yang gagal; coba lagi dalam {seconds} detik",
                         headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


def _keys(username: str) -> list[tuple[str, int]]:
    config = current_app.config
    return [(f"login-user:{username.strip().lower()[:80]}", config["ALUR_LOGIN_FREE_FAILURES"]),
            (f"login-addr:{request.remote_addr or '?'}", config["ALUR_LOGIN_ADDRESS_FAILURES"])]


def check(username: str) -> None:
    """Before the password is checked: LoginThrottled while the account or the address must wait."""
    config = current_app.config
    window = float(config["ALUR_LOGIN_WINDOW_SECONDS"])
    moment = now()
    wait = 0.0
    keys = _keys(username)
    if is_postgres():  # concurrent guesses at one account take turns, so a burst cannot skip the count
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": keys[0][0]})
    for key, free in keys:
        count, last = db.session.execute(
            db.select(db.func.count(), db.func.max(RateHit.at))
            .where(RateHit.key == key, RateHit.at >= moment - timedelta(seconds=window))
        ).one()
        if count >= free and last is not None:
            delay = min(window, float(config["ALUR_LOGIN_DELAY_SECONDS"]) * 2 ** min(count - free, 30))
            wait = max(wait, (last + timedelta(seconds=delay) - moment).total_seconds())
    if wait > 0:
        db.session.rollback()
        raise LoginThrottled(max(1, math.ceil(wait)))


def failed(username: str) -> None:
    """Count a failed attempt against the account and the address (committed: the caller answers 401 next)."""
    moment = now()
    window = timedelta(seconds=float(current_app.config["ALUR_LOGIN_WINDOW_SECONDS"]))
    for key, _free in _keys(username):
        db.session.execute(db.delete(RateHit).where(RateHit.key == key, RateHit.at < moment - window))
        db.session.add(RateHit(key=key, at=moment))
    db.session.commit()


def succeeded(username: str) -> None:
    """The owner got in: the account's failures are forgotten (the address's stay, for its other guesses)."""
    account_key = _keys(username)[0][0]
    db.session.execute(db.delete(RateHit).where(RateHit.key == account_key))
