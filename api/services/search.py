"""Free-text search over instances: title, tracking code and reporter, by word prefix, from an index.

Each instance's words are normalized once (accents dropped, lower case, letters and digits only)
and stored in `search_terms`; a query matches the instances having, for every word typed, a
stored word starting with it. A prefix is a range on the (term, instance) index,
`term >= 'jal' AND term < 'jal{'`, the same plain B-tree query on SQLite and on PostgreSQL (whose
column is bytewise, collation "C"); `LIKE '%jal%'` could use no index on either.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import Select, and_, insert, or_

from api.db import db
from api.models import Instance, SearchTerm
from engine import ProcessVersion

TERM_LENGTH = 50
MAX_WORDS = 6  # more words narrow nothing in practice, and each is one more index range
_WORD = re.compile(r"[a-z0-9]+")
_AFTER_WORD = "{"  # the character after 'z': every term (a-z, 0-9) starting with w sorts below w + "{"


def terms(text: str | None) -> list[str]:
    """The normalized words of a text, in order, each once: 'Jalan Rusak di Désa' -> jalan, rusak, di, desa."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return list(dict.fromkeys(w[:TERM_LENGTH] for w in _WORD.findall(plain)))


def _reporter_text(data: dict[str, Any], personal: frozenset[str]) -> str:
    return " ".join(str(data[name]) for name in sorted(personal)
                    if isinstance(data.get(name), str | int) and not isinstance(data.get(name), bool))


def index_instance(instance: Instance, data: dict[str, Any], version: ProcessVersion) -> None:
    """Store the words of a new instance: its title and code, and the reporter's words (personal)."""
    from api.services.versions import runtime

    public = set(terms(f"{instance.title} {instance.tracking_code}"))
    personal = set(terms(_reporter_text(data, runtime().personal_fields(version)))) - public
    rows = [{"instance_id": instance.id, "term": t, "personal": False} for t in public]
    rows += [{"instance_id": instance.id, "term": t, "personal": True} for t in personal]
    if rows:
        db.session.execute(insert(SearchTerm), rows)


def matching(text: str | None, column: Any) -> Any | None:
    """A condition on `column` (an instance id) for the instances matching every word of `text`; None if none."""
    words = terms(text)[:MAX_WORDS]
    if not words:
        return None
    return and_(*[column.in_(_with_prefix(word)) for word in words])


def _with_prefix(word: str) -> Select:
    shown = or_(SearchTerm.personal.is_(False), and_(Instance.anonymous.is_(False), Instance.confidential.is_(False)))
    return (
        db.select(SearchTerm.instance_id)
        .join(Instance, Instance.id == SearchTerm.instance_id)
        .where(SearchTerm.term >= word, SearchTerm.term < word + _AFTER_WORD, shown)
    )
