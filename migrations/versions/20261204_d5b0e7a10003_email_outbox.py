"""Email: the outbox of every message, and how each was delivered.

`outbox_messages` keeps every email the service writes (recipient, kind, subject, body and
the fields a GOV.UK Notify template is filled with), written in the same transaction as the
change behind it, with its delivery status, how it went (smtp, notify or outbox only), the
attempts made, the last problem, and when it was sent.

Revision ID: d5b0e7a10003
Revises: d5b0e7a10002
Create Date: 2026-12-04 17:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10003'
down_revision = 'd5b0e7a10002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'retrying', 'sent', 'kept', 'failed')",
            name=op.f('ck_outbox_messages_outbox_status_known'),
        ),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_outbox_messages_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_user_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_created_at'))
    op.drop_table('outbox_messages')
