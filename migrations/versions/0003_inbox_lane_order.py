"""Inbox index walking a lane in due order, for grants that cover most of a lane.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_pending_tasks_lane_order", "pending_tasks", ["lane", "sort_key", "id", "region"], unique=False
    )


def downgrade():
    op.drop_index("ix_pending_tasks_lane_order", table_name="pending_tasks")
