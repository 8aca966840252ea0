"""`Idempotency-Key` on starting an instance: a client whose answer was lost after the commit retries safely.

The key is the client's (any printable ASCII text of 1-200 characters), scoped to who
sends it (a user, or the client address for public submissions), and stored with a
hash of the request in the transaction that creates the instance. A retry with the same
key and the same body gets the same instance back (same tracking code, 201 again, with
`Idempotent-Replayed: true`), whatever happened to it since; the same key with another
body is a 422. Two requests with one key at the same moment create one instance: the
unique (scope, key) makes the second commit fail, and it answers with the first's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from api.db import db
from api.errors import ApiError, invalid
from api.models import IdempotencyKey, Instance
from api.results import Started
from api.services.versions import runtime
from engine import now

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PATTERN = r"^[!-~]{1,200}$"  # printable ASCII, no spaces: what a client library generates (UUIDs, hashes)
_VALID = re.compile(PATTERN)
# The OpenAPI parameter both start operations document.
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": PATTERN},
    "description": "Kunci unik dari klien (mis. UUID). Permintaan ulang dengan kunci dan isi yang sama "
                   "mengembalikan kasus yang sama, tanpa membuat kasus kedua; kunci yang sama dengan isi lain "
                   "ditolak 422. Disimpan 24 jam.",
}

Remember = Callable[[Instance], None]


def requested_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _VALID.match(key):
        raise invalid([{"field": HEADER, "message": "1-200 karakter ASCII yang terlihat, tanpa spasi"}])
    return key


def start_once(scope: str, body: Any, start: Callable[[Remember | None], Instance]) -> Started:
    """`start(remember)` once per key: the instance started, or the one this key started before (replayed).
    `remember` must run before start's commit."""
    key = requested_key()
    if key is None:
        return _started(start(None), False)
    digest = hashlib.sha256(
        json.dumps([request.method, request.path, body], sort_keys=True, default=str).encode()).hexdigest()
    found = _replay(scope, key, digest)
    if found is not None:
        return _started(found, True)

    def remember(instance: Instance) -> None:
        db.session.add(IdempotencyKey(scope=scope, key=key, request_hash=digest, instance_id=instance.id,
                                      created_at=now()))

    try:
        return _started(start(remember), False)
    except IntegrityError:  # the same key committed by a concurrent request first: its instance is the answer
        db.session.rollback()
        found = _replay(scope, key, digest)
        if found is None:
            raise
        return _started(found, True)


def _started(instance: Instance, replayed: bool) -> Started:
    # A replayed instance may run on an older version than the current one: read the version it runs on.
    return Started(instance, runtime().by_row(instance.version_id), replayed)


def _replay(scope: str, key: str, digest: str) -> Instance | None:
    row = db.session.execute(db.select(IdempotencyKey).filter_by(scope=scope, key=key)).scalar_one_or_none()
    if row is None:
        return None
    kept = timedelta(hours=float(current_app.config["ALUR_IDEMPOTENCY_HOURS"]))
    if row.created_at < now() - kept:
        db.session.delete(row)  # expired: the key is new again (deleted with the new instance's commit)
        db.session.flush()
        return None
    if row.request_hash != digest:
        raise ApiError(422, "idempotency_key_reused",
                       f"{HEADER} ini sudah dipakai untuk permintaan dengan isi lain; pakai kunci baru")
    return db.session.get(Instance, row.instance_id)
