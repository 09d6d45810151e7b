"""Issued letters: hash of the canonical content; readiness choice.

Adds to `letters`:
- `content_sha256`: a SHA-256 of the letter's content in one canonical JSON form, so the
  web page and the board pack (built from the content, not the PDF) can be verified as well
  as the PDF. Letters already stored get the hash of the content they hold now.
- `sample_finalised` and `sample_size`: for a letter written before the panel finalised the
  whole sample (an explicit, logged choice), how many of the sampled subjects were final.

Revision ID: b7e1a2c30002
Revises: b7e1a2c30001
Create Date: 2026-11-27 06:00:00

"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e1a2c30002'
down_revision = 'b7e1a2c30001'
branch_labels = None
depends_on = None


def _canonical_digest(content):
    """The same canonical form as qa_app.letters.integrity.canonical_json."""
    if isinstance(content, str):
        content = json.loads(content)
    data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def upgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sample_finalised', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sample_size', sa.Integer(), nullable=True))
    letters = sa.table('letters', sa.column('id', sa.Integer()), sa.column('content', sa.JSON()),
                       sa.column('content_sha256', sa.String(64)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(letters.c.id, letters.c.content)
                        .where(letters.c.content.is_not(None))).all()
    for letter_id, content in rows:
        if content is None:
            continue
        bind.execute(letters.update().where(letters.c.id == letter_id)
                     .values(content_sha256=_canonical_digest(content)))


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_column('sample_size')
        batch_op.drop_column('sample_finalised')
        batch_op.drop_column('content_sha256')
