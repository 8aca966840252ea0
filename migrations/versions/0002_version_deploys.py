"""version deploys: who deployed a version, its note and origin, and which one is current

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

`activation` orders the moments versions became current (one counter over all
processes); existing rows get their id, which preserves "newest is current".

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deployed_by', sa.String(length=100), nullable=False, server_default='sistem'))
        batch_op.add_column(sa.Column('origin', sa.String(length=20), nullable=False, server_default='berkas'))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('activation', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('activated_by', sa.String(length=100), nullable=False, server_default='sistem'))
    op.execute('UPDATE process_versions SET activation = id, activated_at = created_at')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.alter_column('activation', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('activated_at', existing_type=sa.DateTime(), nullable=False)
        # The defaults only filled the existing rows; the application always sets these.
        batch_op.alter_column('deployed_by', existing_type=sa.String(length=100), server_default=None)
        batch_op.alter_column('origin', existing_type=sa.String(length=20), server_default=None)
        batch_op.alter_column('activated_by', existing_type=sa.String(length=100), server_default=None)
        batch_op.create_unique_constraint('uq_process_versions_activation', ['activation'])
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index('ix_instances_process_version', ['process_id', 'version_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_process_version')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_process_versions_activation', type_='unique')
        batch_op.drop_column('activated_by')
        batch_op.drop_column('activated_at')
        batch_op.drop_column('activation')
        batch_op.drop_column('note')
        batch_op.drop_column('origin')
        batch_op.drop_column('deployed_by')
