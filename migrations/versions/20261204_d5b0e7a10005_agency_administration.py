"""Agencies run from the browser: deactivation and practice-standard uploads.

Agencies already have `active`, and rubric versions already record who loaded them and
when, so the one new table keeps each targets file uploaded from the browser: its version,
its exact text, who uploaded it and when.

Revision ID: d5b0e7a10005
Revises: d5b0e7a10004
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b0e7a10005'
down_revision = 'd5b0e7a10004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'targets_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source_path', sa.String(length=500), nullable=True),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.Column('loaded_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'],
                                name=op.f('fk_targets_versions_loaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_targets_versions')),
    )


def downgrade():
    op.drop_table('targets_versions')
