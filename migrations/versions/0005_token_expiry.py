"""Login tokens expire: api_tokens.expires_at.

Tokens issued before this revision never expired; they get the default lifetime (12 hours) from
their creation, so most of them end at once and their holders log in again.

Revision ID: 0005
Revises: 0004
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LEGACY_LIFETIME = timedelta(hours=12)


def upgrade():
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(), nullable=True))
    tokens = sa.table("api_tokens", sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime()),
                      sa.column("expires_at", sa.DateTime()))
    connection = op.get_bind()
    # Date arithmetic in Python: the same on SQLite and PostgreSQL.
    rows = [{"token_id": token_id, "expires": created_at + LEGACY_LIFETIME}
            for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at))]
    if rows:
        connection.execute(
            tokens.update().where(tokens.c.id == sa.bindparam("token_id")).values(expires_at=sa.bindparam("expires")),
            rows,
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
