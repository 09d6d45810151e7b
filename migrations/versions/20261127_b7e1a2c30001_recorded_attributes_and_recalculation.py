"""Final grades record what their figures depend on; pending recalculations.

A final grade now keeps its subject's owning agency, year group and plan kind (plans), or
advice type and assured grade (advice), as they were when the grade was recorded, so a
later register refresh never rewrites a past figure. Existing grades are filled in from
the register as it stands. An aggregation run records the day it counted as of. `recalculation_requests` holds changes not yet counted by an
aggregation run, so pages can say their figures are being recalculated.

Revision ID: b7e1a2c30001
Revises: 34a9505e2b81
Create Date: 2026-11-27 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1a2c30001'
down_revision = '34a9505e2b81'
branch_labels = None
depends_on = None

BACKFILL = (
    "UPDATE final_grades SET agency_id = (SELECT agency_id FROM plans "
    "WHERE plans.id = final_grades.plan_id), nc_year = (SELECT nc_year FROM plans "
    "WHERE plans.id = final_grades.plan_id), plan_kind = (SELECT plan_kind FROM plans "
    "WHERE plans.id = final_grades.plan_id) WHERE plan_id IS NOT NULL",
    "UPDATE final_grades SET agency_id = (SELECT agency_id FROM advice "
    "WHERE advice.id = final_grades.advice_id), advice_type = (SELECT advice_type FROM advice "
    "WHERE advice.id = final_grades.advice_id), assured_grade = (SELECT agency_grade "
    "FROM advice WHERE advice.id = final_grades.advice_id) WHERE advice_id IS NOT NULL",
)


def upgrade():
    with op.batch_alter_table('final_grades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('nc_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('advice_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('assured_grade', sa.Integer(), nullable=True))
    for statement in BACKFILL:
        op.execute(statement)
    with op.batch_alter_table('final_grades', schema=None) as batch_op:
        batch_op.alter_column('agency_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_final_grades_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_final_grades_agency_id_agencies'),
                                    'agencies', ['agency_id'], ['id'])

    with op.batch_alter_table('aggregation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))

    op.create_table(
        'recalculation_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_kind', sa.String(length=20), nullable=False),
        sa.Column('period_key', sa.String(length=40), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("period_kind IN ('cycle', 'academic_year', 'all')",
                           name=op.f('ck_recalculation_requests_request_period_kind_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recalculation_requests')),
    )
    with op.batch_alter_table('recalculation_requests', schema=None) as batch_op:
        batch_op.create_index('ix_recalculation_requests_period',
                              ['period_kind', 'period_key'], unique=False)


def downgrade():
    with op.batch_alter_table('recalculation_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_recalculation_requests_period')
    op.drop_table('recalculation_requests')
    with op.batch_alter_table('aggregation_runs', schema=None) as batch_op:
        batch_op.drop_column('as_of')
    with op.batch_alter_table('final_grades', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_final_grades_agency_id_agencies'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_final_grades_agency_id'))
        batch_op.drop_column('assured_grade')
        batch_op.drop_column('advice_type')
        batch_op.drop_column('plan_kind')
        batch_op.drop_column('nc_year')
        batch_op.drop_column('agency_id')
