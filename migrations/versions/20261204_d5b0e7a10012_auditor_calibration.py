"""Auditor calibration: rounds, blind grades and the agreed reference grade.

Calibration grades live in their own tables, never in audits or final_grades, so the
aggregation cannot count them.

Revision ID: d5b0e7a10012
Revises: d5b0e7a10011
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10012'
down_revision = 'd5b0e7a10011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calibration_rounds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('advice_id', sa.Integer(), nullable=True),
        sa.Column('rubric_version_id', sa.Integer(), nullable=False),
        sa.Column('chair_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('(plan_id IS NULL) <> (advice_id IS NULL)',
                           name=op.f('ck_calibration_rounds_one_subject')),
        sa.CheckConstraint("status IN ('open', 'closed')",
                           name=op.f('ck_calibration_rounds_status_known')),
        sa.ForeignKeyConstraint(['advice_id'], ['advice.id'],
                                name=op.f('fk_calibration_rounds_advice_id_advice')),
        sa.ForeignKeyConstraint(['chair_id'], ['users.id'],
                                name=op.f('fk_calibration_rounds_chair_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_calibration_rounds_closed_by_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_calibration_rounds_created_by_id_users')),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'],
                                name=op.f('fk_calibration_rounds_plan_id_plans')),
        sa.ForeignKeyConstraint(['rubric_version_id'], ['rubric_versions.id'],
                                name=op.f('fk_calibration_rounds_rubric_version_id_rubric_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_rounds')),
    )
    with op.batch_alter_table('calibration_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_rounds_advice_id'), ['advice_id'])
        batch_op.create_index(batch_op.f('ix_calibration_rounds_chair_id'), ['chair_id'])
        batch_op.create_index(batch_op.f('ix_calibration_rounds_plan_id'), ['plan_id'])

    op.create_table(
        'calibration_participants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('auditor_id', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['auditor_id'], ['users.id'],
                                name=op.f('fk_calibration_participants_auditor_id_users')),
        sa.ForeignKeyConstraint(['round_id'], ['calibration_rounds.id'], ondelete='CASCADE',
                                name=op.f('fk_calibration_participants_round_id_calibration_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_participants')),
        sa.UniqueConstraint('round_id', 'auditor_id',
                            name=op.f('uq_calibration_participants_round_id_auditor_id')),
    )
    with op.batch_alter_table('calibration_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_participants_auditor_id'), ['auditor_id'])
        batch_op.create_index(batch_op.f('ix_calibration_participants_round_id'), ['round_id'])

    op.create_table(
        'calibration_grades',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('auditor_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.String(length=80), nullable=False),
        sa.Column('grade', sa.Integer(), nullable=True),
        sa.Column('evidence', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['auditor_id'], ['users.id'],
                                name=op.f('fk_calibration_grades_auditor_id_users')),
        sa.ForeignKeyConstraint(['round_id'], ['calibration_rounds.id'], ondelete='CASCADE',
                                name=op.f('fk_calibration_grades_round_id_calibration_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_grades')),
        sa.UniqueConstraint('round_id', 'auditor_id', 'criterion_id',
                            name=op.f('uq_calibration_grades_round_id_auditor_id_criterion_id')),
    )
    with op.batch_alter_table('calibration_grades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_grades_auditor_id'), ['auditor_id'])
        batch_op.create_index(batch_op.f('ix_calibration_grades_round_id'), ['round_id'])

    op.create_table(
        'calibration_references',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('criterion_id', sa.String(length=80), nullable=False),
        sa.Column('grade', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['round_id'], ['calibration_rounds.id'], ondelete='CASCADE',
                                name=op.f('fk_calibration_references_round_id_calibration_rounds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_references')),
        sa.UniqueConstraint('round_id', 'criterion_id',
                            name=op.f('uq_calibration_references_round_id_criterion_id')),
    )
    with op.batch_alter_table('calibration_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_references_round_id'), ['round_id'])


def downgrade():
    op.drop_table('calibration_references')
    op.drop_table('calibration_grades')
    op.drop_table('calibration_participants')
    op.drop_table('calibration_rounds')
