"""Learning briefs: each cycle's brief as it was published.

One row per cycle, written once from the brief's check page: the brief's content as JSON,
its SHA-256, and who published it and when. Drafts are not stored.

Revision ID: d5b0e7a10010
Revises: d5b0e7a10009
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10010'
down_revision = 'd5b0e7a10009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'learning_briefs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('content_sha256', sa.String(length=64), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ondelete='CASCADE',
                                name=op.f('fk_learning_briefs_cycle_id_cycles')),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'],
                                name=op.f('fk_learning_briefs_published_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_briefs')),
        sa.UniqueConstraint('cycle_id', name=op.f('uq_learning_briefs_cycle_id')),
    )


def downgrade():
    op.drop_table('learning_briefs')
