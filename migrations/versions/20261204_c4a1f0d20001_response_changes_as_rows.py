"""A formal response as one row per change, each with its owner and date; drafts.

The letter asks who owns each change and by when, so a response now holds one row per
change (`letter_response_changes`) and may be saved as a draft (`draft_saved_at`) before it
is sent. Responses already sent with the single box become one row each; the old columns
stay, unchanged, so what was sent can still be read as it was. Downgrading puts any response
sent with rows back into the single box: the changes joined as paragraphs, the owners joined,
and the latest date.

Revision ID: c4a1f0d20001
Revises: b7e1a2c30006
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a1f0d20001'
down_revision = 'b7e1a2c30006'
branch_labels = None
depends_on = None

OWNER_LIMIT = 200


def upgrade():
    op.create_table(
        'letter_response_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('change', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=200), nullable=False),
        sa.Column('complete_by', sa.Date(), nullable=True),
        sa.CheckConstraint('position >= 1',
                           name=op.f('ck_letter_response_changes_position_positive')),
        sa.ForeignKeyConstraint(['response_id'], ['letter_responses.id'],
                                name=op.f('fk_letter_response_changes_response_id_letter_responses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_response_changes')),
        sa.UniqueConstraint('response_id', 'position',
                            name=op.f('uq_letter_response_changes_response_id_position')),
    )
    with op.batch_alter_table('letter_response_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_response_changes_response_id'),
                              ['response_id'], unique=False)
    with op.batch_alter_table('letter_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_saved_at', sa.DateTime(), nullable=True))
    op.execute(
        "INSERT INTO letter_response_changes (response_id, position, change, owner, complete_by) "
        "SELECT id, 1, changes, COALESCE(owner, ''), complete_by FROM letter_responses "
        "WHERE changes IS NOT NULL"
    )


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT c.response_id, c.change, c.owner, c.complete_by "
        "FROM letter_response_changes c JOIN letter_responses r ON r.id = c.response_id "
        "WHERE r.submitted_at IS NOT NULL AND r.changes IS NULL "
        "ORDER BY c.response_id, c.position"
    )).all()
    joined: dict[int, tuple[list[str], list[str], list]] = {}
    for response_id, change, owner, complete_by in rows:
        changes, owners, dates = joined.setdefault(response_id, ([], [], []))
        changes.append(change)
        if owner and owner not in owners:
            owners.append(owner)
        if complete_by is not None:
            dates.append(complete_by)
    for response_id, (changes, owners, dates) in joined.items():
        bind.execute(sa.text(
            "UPDATE letter_responses SET changes = :changes, owner = :owner, "
            "complete_by = :complete_by WHERE id = :id"
        ), {"changes": "\n\n".join(changes), "owner": "; ".join(owners)[:OWNER_LIMIT],
            "complete_by": max(dates) if dates else None, "id": response_id})
    with op.batch_alter_table('letter_responses', schema=None) as batch_op:
        batch_op.drop_column('draft_saved_at')
    with op.batch_alter_table('letter_response_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_response_changes_response_id'))
    op.drop_table('letter_response_changes')
