"""The organization as data: roles and units as rows, unit grants, and the unit a pending task is routed to.

The inbox indexes gain the unit as their last column (dropped and rebuilt: a few seconds per 100,000 tasks).

Roles named by existing grants become rows, so nothing granted before is lost.

Revision ID: 0006
Revises: 0005
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INBOX_INDEXES = {"ix_pending_tasks_inbox": ["lane", "region", "sort_key", "id"],
                  "ix_pending_tasks_lane_order": ["lane", "sort_key", "id", "region"]}


def upgrade():
    op.create_table(
        "roles",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("description", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("parent", sa.String(100), nullable=True),
        sa.Column("region", sa.String(100), nullable=False, server_default=""),
    )
    op.create_index("ix_units_parent", "units", ["parent"], unique=False)
    with op.batch_alter_table("role_grants") as batch:
        batch.add_column(sa.Column("unit", sa.String(100), nullable=True))
        batch.drop_constraint("uq_role_grants", type_="unique")
        batch.create_unique_constraint("uq_role_grants", ["user_id", "role", "region_prefix", "unit"])
        batch.create_index("ix_role_grants_unit", ["unit"], unique=False)
    op.add_column("pending_tasks", sa.Column("unit", sa.String(100), nullable=True))
    # The inbox indexes end with the unit, so a unit grant's inbox is still answered from the index alone.
    for name, columns in _INBOX_INDEXES.items():
        op.drop_index(name, table_name="pending_tasks")
        op.create_index(name, "pending_tasks", [*columns, "unit"], unique=False)
    connection = op.get_bind()
    grants = sa.table("role_grants", sa.column("role", sa.String()))
    roles = sa.table("roles", sa.column("name", sa.String()), sa.column("description", sa.String()),
                     sa.column("created_at", sa.DateTime()))
    moment = datetime.now(UTC).replace(tzinfo=None)
    names = [row[0] for row in connection.execute(sa.select(grants.c.role).distinct())]
    if names:
        connection.execute(roles.insert(), [{"name": n, "description": "", "created_at": moment} for n in names])


def downgrade():
    for name, columns in _INBOX_INDEXES.items():
        op.drop_index(name, table_name="pending_tasks")
        op.create_index(name, "pending_tasks", columns, unique=False)
    with op.batch_alter_table("pending_tasks") as batch:
        batch.drop_column("unit")
    with op.batch_alter_table("role_grants") as batch:
        batch.drop_index("ix_role_grants_unit")
        batch.drop_constraint("uq_role_grants", type_="unique")
        batch.create_unique_constraint("uq_role_grants", ["user_id", "role", "region_prefix"])
        batch.drop_column("unit")
    op.drop_index("ix_units_parent", table_name="units")
    op.drop_table("units")
    op.drop_table("roles")
