"""Reminders: each sent once per item and threshold, and the reminders each person turned off.

Revision ID: d5b0e7a10006
Revises: d5b0e7a10005
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5b0e7a10006'
down_revision = 'd5b0e7a10005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reminders_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('item_key', sa.String(length=120), nullable=False),
        sa.Column('threshold', sa.String(length=40), nullable=False),
        sa.Column('for_day', sa.Date(), nullable=False),
        sa.Column('outbox_message_id', sa.Integer(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_reminders_sent_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'],
                                name=op.f('fk_reminders_sent_outbox_message_id_outbox_messages'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
        sa.UniqueConstraint('user_id', 'kind', 'item_key', 'threshold',
                            name='uq_reminders_sent_once'),
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_user_id'), ['user_id'], unique=False)

    op.create_table(
        'reminder_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_reminder_opt_outs_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_opt_outs')),
        sa.UniqueConstraint('user_id', 'kind', name='uq_reminder_opt_outs'),
    )
    with op.batch_alter_table('reminder_opt_outs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_opt_outs_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('reminder_opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_opt_outs_user_id'))
    op.drop_table('reminder_opt_outs')
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_user_id'))
    op.drop_table('reminders_sent')
