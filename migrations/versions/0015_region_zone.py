"""The time zone of a region (regions.time_zone): the office's clock is data an admin keeps.

Empty means "as the region above it" (default Asia/Jakarta at the top). Provinces already stored
get the zone the code used to assume from the province number, so an upgraded office sees its
moments as before the upgrade.

Revision ID: 0015_region_zone
Revises: 0014_inbox_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_region_zone"
down_revision = "0014_inbox_speed"
branch_labels = None
depends_on = None

# Frozen here: what the code assumed before zones became data (kode provinsi Kemendagri).
_WITA = ("51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76")
_WIT = ("81", "82", "91", "92", "94", "95", "96", "97")


def upgrade():
    op.add_column("regions", sa.Column("time_zone", sa.String(40), nullable=True))
    regions = sa.table("regions", sa.column("code", sa.String), sa.column("time_zone", sa.String))
    for codes, zone in ((_WITA, "Asia/Makassar"), (_WIT, "Asia/Jayapura")):
        op.execute(regions.update().where(regions.c.code.in_(codes)).values(time_zone=zone))


def downgrade():
    with op.batch_alter_table("regions") as batch:
        batch.drop_column("time_zone")
