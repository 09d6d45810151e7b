"""Improvement actions people can act on: owner, due date, notes, links, closing.

An action gains an owner (one of its agency's leads), a due date, a request to close it
(who, when, the note of what changed) and who closed it anyway; its notes are a new table,
one row per entry. Status `closing` sits between `open` and `closed`, and the one-action
rule now counts every action that is not closed. Existing rows keep their status, with no
owner or due date. Downgrading turns a `closing` action back into `open` (its request and
the notes are dropped with their columns and table).

Revision ID: d5b0e7a10001
Revises: c4a1f0d20001
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b0e7a10001'
down_revision = 'c4a1f0d20001'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('open', 'closed')"
NEW_STATUSES = "status IN ('open', 'closing', 'closed')"
OLD_WHERE = sa.text("status = 'open'")
NEW_WHERE = sa.text("status <> 'closed'")
COLUMNS = "agency_id", "measure", "scope", "academic_year"


def upgrade():
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('close_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('close_requested_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('close_request_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_improvement_actions_owner_id'), ['owner_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_improvement_actions_owner_id_users'),
                                    'users', ['owner_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(
            batch_op.f('fk_improvement_actions_close_requested_by_id_users'),
            'users', ['close_requested_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_improvement_actions_closed_by_id_users'),
                                    'users', ['closed_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_improvement_actions_status_known'),
                                 type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_improvement_actions_status_known'),
                                         NEW_STATUSES)
        batch_op.drop_index('uq_improvement_actions_open', sqlite_where=OLD_WHERE,
                            postgresql_where=OLD_WHERE)
        batch_op.create_index('uq_improvement_actions_not_closed', list(COLUMNS), unique=True,
                              sqlite_where=NEW_WHERE, postgresql_where=NEW_WHERE)
    op.create_table(
        'improvement_action_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('note', 'close_request', 'closed')",
                           name=op.f('ck_improvement_action_notes_kind_known')),
        sa.ForeignKeyConstraint(['action_id'], ['improvement_actions.id'],
                                name=op.f('fk_improvement_action_notes_action_id_improvement_actions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_improvement_action_notes_author_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_action_notes')),
    )
    with op.batch_alter_table('improvement_action_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_action_notes_action_id'),
                              ['action_id'], unique=False)


def downgrade():
    with op.batch_alter_table('improvement_action_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_action_notes_action_id'))
    op.drop_table('improvement_action_notes')
    op.execute("UPDATE improvement_actions SET status = 'open' WHERE status = 'closing'")
    with op.batch_alter_table('improvement_actions', schema=None) as batch_op:
        batch_op.drop_index('uq_improvement_actions_not_closed', sqlite_where=NEW_WHERE,
                            postgresql_where=NEW_WHERE)
        batch_op.create_index('uq_improvement_actions_open', list(COLUMNS), unique=True,
                              sqlite_where=OLD_WHERE, postgresql_where=OLD_WHERE)
        batch_op.drop_constraint(batch_op.f('ck_improvement_actions_status_known'),
                                 type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_improvement_actions_status_known'),
                                         OLD_STATUSES)
        batch_op.drop_constraint(batch_op.f('fk_improvement_actions_closed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_improvement_actions_close_requested_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_improvement_actions_owner_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_improvement_actions_owner_id'))
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('close_request_note')
        batch_op.drop_column('close_requested_by_id')
        batch_op.drop_column('close_requested_at')
        batch_op.drop_column('due_date')
        batch_op.drop_column('owner_id')
