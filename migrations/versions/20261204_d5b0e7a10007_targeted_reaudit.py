"""Targeted re-audit: plans and advice marked to amend and re-audit, amendments, re-audit places.

Revision ID: d5b0e7a10007
Revises: d5b0e7a10006
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10007'
down_revision = 'd5b0e7a10006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reaudit_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('final_grade_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('advice_id', sa.Integer(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('from_cycle_id', sa.Integer(), nullable=False),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.Column('marked_by_id', sa.Integer(), nullable=True),
        sa.Column('amended_on', sa.Date(), nullable=True),
        sa.Column('amended_at', sa.DateTime(), nullable=True),
        sa.Column('amended_by_id', sa.Integer(), nullable=True),
        sa.Column('included_cycle_id', sa.Integer(), nullable=True),
        sa.Column('included_at', sa.DateTime(), nullable=True),
        sa.Column('drawn_at_random', sa.Boolean(), nullable=False),
        sa.CheckConstraint('(plan_id IS NULL) <> (advice_id IS NULL)',
                           name=op.f('ck_reaudit_marks_one_subject')),
        sa.ForeignKeyConstraint(['advice_id'], ['advice.id'],
                                name=op.f('fk_reaudit_marks_advice_id_advice')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_reaudit_marks_agency_id_agencies')),
        sa.ForeignKeyConstraint(['amended_by_id'], ['users.id'],
                                name=op.f('fk_reaudit_marks_amended_by_id_users')),
        sa.ForeignKeyConstraint(['final_grade_id'], ['final_grades.id'], ondelete='CASCADE',
                                name=op.f('fk_reaudit_marks_final_grade_id_final_grades')),
        sa.ForeignKeyConstraint(['from_cycle_id'], ['cycles.id'], ondelete='CASCADE',
                                name=op.f('fk_reaudit_marks_from_cycle_id_cycles')),
        sa.ForeignKeyConstraint(['included_cycle_id'], ['cycles.id'], ondelete='SET NULL',
                                name=op.f('fk_reaudit_marks_included_cycle_id_cycles')),
        sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'],
                                name=op.f('fk_reaudit_marks_marked_by_id_users')),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'],
                                name=op.f('fk_reaudit_marks_plan_id_plans')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reaudit_marks')),
        sa.UniqueConstraint('final_grade_id', name=op.f('uq_reaudit_marks_final_grade_id')),
    )
    with op.batch_alter_table('reaudit_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reaudit_marks_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reaudit_marks_advice_id'), ['advice_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_reaudit_marks_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_reaudit_marks_included_cycle_id'),
                              ['included_cycle_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reaudit_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reaudit_marks_included_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_reaudit_marks_agency_id'))
        batch_op.drop_index(batch_op.f('ix_reaudit_marks_advice_id'))
        batch_op.drop_index(batch_op.f('ix_reaudit_marks_plan_id'))
    op.drop_table('reaudit_marks')
