"""Letters: keep each version's assembled content, the date printed on it, which issued
version a correction supersedes, the chair's edits and omitted evidence excerpts; record
who presented a response to the partnership board.

Revision ID: 2a96e5e4884d
Revises: d59f25963e62
Create Date: 2026-11-23 13:15:39.201623

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a96e5e4884d'
down_revision = 'd59f25963e62'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('presented_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letter_responses_presented_by_id_users'), 'users', ['presented_by_id'], ['id'])

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('omitted_evidence', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('letter_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('edited_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letters_supersedes_id_letters'), 'letters', ['supersedes_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_letters_edited_by_id_users'), 'users', ['edited_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letters_edited_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_letters_supersedes_id_letters'), type_='foreignkey')
        batch_op.drop_column('edited_by_id')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('letter_date')
        batch_op.drop_column('omitted_evidence')
        batch_op.drop_column('content')

    with op.batch_alter_table('letter_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letter_responses_presented_by_id_users'), type_='foreignkey')
        batch_op.drop_column('presented_by_id')
