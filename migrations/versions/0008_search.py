"""Free-text search: search_terms, the normalized words of each instance's title, code and reporter.

Existing instances get the words of their title and tracking code here; the reporter's words are
written when an instance starts (they are read from the start data, which only the engine reads).

Revision ID: 0008
Revises: 0007
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TERM = sa.String(50).with_variant(sa.String(50, collation="C"), "postgresql")


def _terms(text):
    # The same rule as api/services/search.py `terms` (copied: a migration must not change with the app).
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return {w[:50] for w in re.findall(r"[a-z0-9]+", plain)}


def upgrade():
    op.create_table(
        "search_terms",
        sa.Column("instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("term", TERM, primary_key=True),
        sa.Column("personal", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_search_terms_term", "search_terms", ["term", "instance_id", "personal"])
    instances = sa.table("instances", sa.column("id", sa.BigInteger()), sa.column("title", sa.String()),
                         sa.column("tracking_code", sa.String()))
    terms = sa.table("search_terms", sa.column("instance_id", sa.BigInteger()), sa.column("term", sa.String()),
                     sa.column("personal", sa.Boolean()))
    connection = op.get_bind()
    rows = []
    for instance_id, title, code in connection.execute(sa.select(instances.c.id, instances.c.title,
                                                                 instances.c.tracking_code)):
        rows += [{"instance_id": instance_id, "term": t, "personal": False} for t in _terms(f"{title} {code}")]
        if len(rows) >= 5000:
            connection.execute(terms.insert(), rows)
            rows = []
    if rows:
        connection.execute(terms.insert(), rows)


def downgrade():
    op.drop_index("ix_search_terms_term", table_name="search_terms")
    op.drop_table("search_terms")
