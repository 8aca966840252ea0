"""Starts that must not repeat: unique_starts (one forum per region and RKPD year, `uniqueStart`).

Cases started before this revision hold no row, so they do not block a start; every start after it does.

Revision ID: 0016_unique_start
Revises: 0015_region_zone
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_unique_start"
down_revision = "0015_region_zone"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "unique_starts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("process_id", sa.String(100), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("process_id", "key", name="uq_unique_starts"),
    )
    op.create_index("ix_unique_starts_instance", "unique_starts", ["instance_id"])


def downgrade():
    op.drop_index("ix_unique_starts_instance", table_name="unique_starts")
    op.drop_table("unique_starts")
