"""Message catches instances wait at: waiting_messages, for delivery between instances and batch steps.

Instances saved before this revision have no rows until their next save; none of the
procedures deployed before it waits for a message from another instance.

Revision ID: 0010
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "waiting_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=True),
        sa.Column("instance_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("process_id", sa.String(length=100), nullable=False),
        sa.Column("element", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("correlation_key", sa.String(length=100), nullable=True),
        sa.Column("correlation_value", sa.String(length=300), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waiting_messages_delivery", "waiting_messages", ["name", "correlation_value"])
    op.create_index("ix_waiting_messages_batch", "waiting_messages", ["process_id", "element", "region"])
    op.create_index("ix_waiting_messages_instance", "waiting_messages", ["instance_id"])


def downgrade():
    op.drop_index("ix_waiting_messages_instance", table_name="waiting_messages")
    op.drop_index("ix_waiting_messages_batch", table_name="waiting_messages")
    op.drop_index("ix_waiting_messages_delivery", table_name="waiting_messages")
    op.drop_table("waiting_messages")
