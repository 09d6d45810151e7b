"""Surveys: versions, single-use family links, practitioner links and answers.

Answers hold no names, email or network addresses and no time of day: a response keeps its
link, its survey version and the date it was sent; a link keeps only its secret's hash.

Revision ID: d5b0e7a10011
Revises: d5b0e7a10010
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd5b0e7a10011'
down_revision = 'd5b0e7a10010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'survey_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.String(length=60), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('respondent', sa.String(length=20), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("audience IN ('family', 'practitioner')",
                           name=op.f('ck_survey_versions_audience_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_versions')),
        sa.UniqueConstraint('survey_id', 'version',
                            name=op.f('uq_survey_versions_survey_id_version')),
    )
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_versions_survey_id'), ['survey_id'],
                              unique=False)

    op.create_table(
        'survey_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('survey_id', sa.String(length=60), nullable=False),
        sa.Column('closes_on', sa.Date(), nullable=False),
        sa.Column('training_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_survey_runs_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_runs')),
        sa.UniqueConstraint('name', name=op.f('uq_survey_runs_name')),
    )

    op.create_table(
        'survey_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=True),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(audience = 'family' AND cycle_id IS NOT NULL AND plan_id IS NOT NULL)"
            " OR (audience = 'practitioner' AND run_id IS NOT NULL)",
            name=op.f('ck_survey_links_points_somewhere')),
        sa.CheckConstraint("audience IN ('family', 'practitioner')",
                           name=op.f('ck_survey_links_audience_known')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_survey_links_agency_id_agencies')),
        sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'],
                                name=op.f('fk_survey_links_cycle_id_cycles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'],
                                name=op.f('fk_survey_links_plan_id_plans')),
        sa.ForeignKeyConstraint(['run_id'], ['survey_runs.id'],
                                name=op.f('fk_survey_links_run_id_survey_runs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_survey_links_token_hash')),
    )
    with op.batch_alter_table('survey_links', schema=None) as batch_op:
        for column in ('agency_id', 'cycle_id', 'plan_id', 'run_id'):
            batch_op.create_index(batch_op.f(f'ix_survey_links_{column}'), [column],
                                  unique=False)

    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('survey_version_id', sa.Integer(), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['survey_links.id'],
                                name=op.f('fk_survey_responses_link_id_survey_links'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['survey_version_id'], ['survey_versions.id'],
            name=op.f('fk_survey_responses_survey_version_id_survey_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
    )
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_responses_link_id'), ['link_id'],
                              unique=False)

    op.create_table(
        'survey_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('good_or_better', sa.Boolean(), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('quotable', sa.Boolean(), nullable=False),
        sa.CheckConstraint('(value IS NULL) <> (text IS NULL)',
                           name=op.f('ck_survey_answers_one_kind')),
        sa.ForeignKeyConstraint(['response_id'], ['survey_responses.id'],
                                name=op.f('fk_survey_answers_response_id_survey_responses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
        sa.UniqueConstraint('response_id', 'question_id',
                            name=op.f('uq_survey_answers_response_id_question_id')),
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_response_id'), ['response_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_response_id'))
    op.drop_table('survey_answers')
    with op.batch_alter_table('survey_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_responses_link_id'))
    op.drop_table('survey_responses')
    with op.batch_alter_table('survey_links', schema=None) as batch_op:
        for column in ('run_id', 'plan_id', 'cycle_id', 'agency_id'):
            batch_op.drop_index(batch_op.f(f'ix_survey_links_{column}'))
    op.drop_table('survey_links')
    op.drop_table('survey_runs')
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_versions_survey_id'))
    op.drop_table('survey_versions')
