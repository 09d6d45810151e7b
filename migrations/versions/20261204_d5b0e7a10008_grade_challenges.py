"""Grade challenges: an agency's challenge to a final grade and its outcome.

One open challenge per final grade (a partial unique index); the grade before and after
are kept on the challenge.

Revision ID: d5b0e7a10008
Revises: d5b0e7a10007
Create Date: 2026-12-04 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b0e7a10008'
down_revision = 'd5b0e7a10007'
branch_labels = None
depends_on = None

ONLY_OPEN = sa.text("status = 'open'")


def upgrade():
    op.create_table(
        'grade_challenges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('final_grade_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('panel_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=False),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('grade_before', sa.Integer(), nullable=False),
        sa.Column('criteria_before', sa.JSON(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('outcome_reason', sa.Text(), nullable=True),
        sa.Column('grade_after', sa.Integer(), nullable=True),
        sa.Column('criteria_after', sa.JSON(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'changed')",
                           name=op.f('ck_grade_challenges_status_known')),
        sa.ForeignKeyConstraint(['final_grade_id'], ['final_grades.id'],
                                name=op.f('fk_grade_challenges_final_grade_id_final_grades'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_grade_challenges_agency_id_agencies')),
        sa.ForeignKeyConstraint(['panel_id'], ['panels.id'],
                                name=op.f('fk_grade_challenges_panel_id_panels')),
        sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'],
                                name=op.f('fk_grade_challenges_raised_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_grade_challenges_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_challenges')),
    )
    with op.batch_alter_table('grade_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_challenges_final_grade_id'),
                              ['final_grade_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_challenges_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_grade_challenges_panel_id'), ['panel_id'],
                              unique=False)
        batch_op.create_index('uq_grade_challenges_open', ['final_grade_id'], unique=True,
                              sqlite_where=ONLY_OPEN, postgresql_where=ONLY_OPEN)


def downgrade():
    with op.batch_alter_table('grade_challenges', schema=None) as batch_op:
        batch_op.drop_index('uq_grade_challenges_open', sqlite_where=ONLY_OPEN,
                            postgresql_where=ONLY_OPEN)
        batch_op.drop_index(batch_op.f('ix_grade_challenges_panel_id'))
        batch_op.drop_index(batch_op.f('ix_grade_challenges_agency_id'))
        batch_op.drop_index(batch_op.f('ix_grade_challenges_final_grade_id'))
    op.drop_table('grade_challenges')
