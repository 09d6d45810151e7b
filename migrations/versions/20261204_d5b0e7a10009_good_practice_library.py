"""The good-practice library: excerpts marked while scoring and approved by the chair.

Revision ID: d5b0e7a10009
Revises: d5b0e7a10008
Create Date: 2026-12-04 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b0e7a10009'
down_revision = 'd5b0e7a10008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'good_practice_examples',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=True),
        sa.Column('panel_id', sa.Integer(), nullable=True),
        sa.Column('rubric_id', sa.String(length=80), nullable=False),
        sa.Column('criterion_id', sa.String(length=80), nullable=False),
        sa.Column('subject_kind', sa.String(length=10), nullable=False),
        sa.Column('advice_type', sa.String(length=80), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('excerpt', sa.Text(), nullable=False),
        sa.Column('typed_excerpt', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('rejection_reason', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name=op.f('ck_good_practice_examples_status_known')),
        sa.CheckConstraint("subject_kind IN ('plan', 'advice')",
                           name=op.f('ck_good_practice_examples_subject_kind_known')),
        sa.CheckConstraint("status != 'rejected' OR rejection_reason IS NOT NULL",
                           name=op.f('ck_good_practice_examples_rejection_has_reason')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_good_practice_examples_agency_id_agencies')),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ondelete='SET NULL',
                                name=op.f('fk_good_practice_examples_audit_id_audits')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_good_practice_examples_author_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_good_practice_examples_decided_by_id_users')),
        sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], ondelete='SET NULL',
                                name=op.f('fk_good_practice_examples_panel_id_panels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_good_practice_examples')),
    )
    with op.batch_alter_table('good_practice_examples', schema=None) as batch_op:
        for column in ('agency_id', 'audit_id', 'criterion_id', 'panel_id', 'status'):
            batch_op.create_index(batch_op.f(f'ix_good_practice_examples_{column}'),
                                  [column], unique=False)


def downgrade():
    with op.batch_alter_table('good_practice_examples', schema=None) as batch_op:
        for column in ('status', 'panel_id', 'criterion_id', 'audit_id', 'agency_id'):
            batch_op.drop_index(batch_op.f(f'ix_good_practice_examples_{column}'))
    op.drop_table('good_practice_examples')
