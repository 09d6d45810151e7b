"""Commentary asked of agencies for the board's exceptions report.

A board report per cycle (the board date, who set it, and once final what it said), and
one commentary request per agency and exception, with the agency's commentary.

Revision ID: d5b0e7a10002
Revises: d5b0e7a10001
Create Date: 2026-12-04 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10002'
down_revision = 'd5b0e7a10001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'board_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('board_date', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('finalised_at', sa.DateTime(), nullable=True),
        sa.Column('finalised_by_id', sa.Integer(), nullable=True),
        sa.Column('content', sa.JSON(), nullable=True),
        sa.CheckConstraint("status IN ('collecting', 'final')",
                           name=op.f('ck_board_reports_status_known')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_board_reports_created_by_id_users')),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], ondelete='CASCADE',
                                name=op.f('fk_board_reports_cycle_id_cycles')),
        sa.ForeignKeyConstraint(['finalised_by_id'], ['users.id'],
                                name=op.f('fk_board_reports_finalised_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_reports')),
        sa.UniqueConstraint('cycle_id', name=op.f('uq_board_reports_cycle_id')),
    )
    op.create_table(
        'board_commentary_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('measure', sa.String(length=60), nullable=False),
        sa.Column('scope', sa.String(length=60), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('commentary', sa.Text(), nullable=True),
        sa.Column('commented_at', sa.DateTime(), nullable=True),
        sa.Column('commented_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_board_commentary_requests_agency_id_agencies')),
        sa.ForeignKeyConstraint(['commented_by_id'], ['users.id'],
                                name=op.f('fk_board_commentary_requests_commented_by_id_users')),
        sa.ForeignKeyConstraint(['report_id'], ['board_reports.id'], ondelete='CASCADE',
                                name=op.f('fk_board_commentary_requests_report_id_board_reports')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_board_commentary_requests_requested_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_commentary_requests')),
        sa.UniqueConstraint('report_id', 'agency_id', 'measure', 'scope',
                            name=op.f('uq_board_commentary_requests_report_id_agency_id_measure_scope')),
    )
    with op.batch_alter_table('board_commentary_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_commentary_requests_agency_id'),
                              ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_board_commentary_requests_report_id'),
                              ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('board_commentary_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_commentary_requests_report_id'))
        batch_op.drop_index(batch_op.f('ix_board_commentary_requests_agency_id'))
    op.drop_table('board_commentary_requests')
    op.drop_table('board_reports')
