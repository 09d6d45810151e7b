"""Re-audit marks can be withdrawn before a sample takes them: when, by whom and why.

The row stays (a grade is marked once; marking it again reuses the row), so the automatic
setting does not mark a withdrawn grade again on its own.

Revision ID: d5b0e7a10013
Revises: d5b0e7a10012
Create Date: 2026-12-04 18:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10013'
down_revision = 'd5b0e7a10012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reaudit_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reaudit_marks_withdrawn_by_id_users'),
                                    'users', ['withdrawn_by_id'], ['id'])


def downgrade():
    # A withdrawn mark cannot be told apart once the columns are gone: the work would be
    # waiting for re-audit again, so withdrawn marks are removed (the audit log keeps them).
    op.execute("DELETE FROM reaudit_marks WHERE withdrawn_at IS NOT NULL")
    with op.batch_alter_table('reaudit_marks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reaudit_marks_withdrawn_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
