"""The organization as data: roles and units as rows, unit grants, and the unit a pending task is routed to.

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
    op.create_index("ix_pending_tasks_lane_unit", "pending_tasks", ["lane", "unit", "sort_key", "id", "region"],
                    unique=False)
    connection = op.get_bind()
    grants = sa.table("role_grants", sa.column("role", sa.String()))
    roles = sa.table("roles", sa.column("name", sa.String()), sa.column("description", sa.String()),
                     sa.column("created_at", sa.DateTime()))
    moment = datetime.now(UTC).replace(tzinfo=None)
    names = [row[0] for row in connection.execute(sa.select(grants.c.role).distinct())]
    if names:
        connection.execute(roles.insert(), [{"name": n, "description": "", "created_at": moment} for n in names])


def downgrade():
    op.drop_index("ix_pending_tasks_lane_unit", table_name="pending_tasks")
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
