"""Plans: statutory exceptions and recorded 20-week inputs; agreement AC1.

A plan can carry a statutory exception to the 20-week time limit (SEND Regulations 2014
reg. 13(3)) with a note, so the 20-week measure can be reported with and without
exceptions. A new plan's needs-assessment dates are kept in their own columns when it is
a new plan with an issue date, so a later annual-review row in a register refresh cannot
move the 20-week figures; existing new, issued plans are recorded here. Agreement
snapshots gain Gwet's AC1 beside kappa.

Revision ID: b7e1a2c30004
Revises: b7e1a2c30003
Create Date: 2026-11-27 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e1a2c30004'
down_revision = 'b7e1a2c30003'
branch_labels = None
depends_on = None

EXCEPTIONS = "'school_closure', 'exceptional_circumstances', 'away_from_area'"


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds the plans table for the CHECK constraint; advice and final grades
    refer to it, so foreign keys are switched off meanwhile (outside any transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exception', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('exception_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('assessed_as_new', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('assessment_request_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('assessment_issue_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('assessment_agency_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_plans_assessment_agency_id_agencies'),
                                    'agencies', ['assessment_agency_id'], ['id'])
        batch_op.create_check_constraint(
            'exception_known', f"exception IS NULL OR exception IN ({EXCEPTIONS})")
    _sqlite_foreign_keys(True)
    op.execute(
        "UPDATE plans SET assessed_as_new = true, assessment_request_date = request_date, "
        "assessment_issue_date = issue_date, assessment_agency_id = agency_id "
        "WHERE plan_kind = 'new' AND issue_date IS NOT NULL"
    )
    with op.batch_alter_table('agreement_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ac1', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('agreement_snapshots', schema=None) as batch_op:
        batch_op.drop_column('ac1')
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_plans_exception_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_plans_assessment_agency_id_agencies'),
                                 type_='foreignkey')
        batch_op.drop_column('assessment_agency_id')
        batch_op.drop_column('assessment_issue_date')
        batch_op.drop_column('assessment_request_date')
        batch_op.drop_column('assessed_as_new')
        batch_op.drop_column('exception_note')
        batch_op.drop_column('exception')
    _sqlite_foreign_keys(True)
