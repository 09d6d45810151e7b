"""Stratum-weighted estimate of the plans rate.

When a cycle's sample took transition-year and other plans at different fractions, the
pooled all-plans rate leans towards the over-sampled stratum. The partnership's all-plans
row of a cycle's run now also stores the stratum-weighted estimate and its 95% interval
(rate_snapshots.weighted_rate, weighted_low, weighted_high; empty on every other row and
on runs stored before). The stratum population sizes live in the sample's parameters, so
no other table changes.

Revision ID: b7e1a2c30003
Revises: b7e1a2c30002
Create Date: 2026-11-27 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1a2c30003'
down_revision = 'b7e1a2c30002'
branch_labels = None
depends_on = None

COLUMNS = ('weighted_rate', 'weighted_low', 'weighted_high')


def upgrade():
    with op.batch_alter_table('rate_snapshots', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('rate_snapshots', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
