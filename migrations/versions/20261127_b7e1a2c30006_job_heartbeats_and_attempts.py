"""Jobs: heartbeats, attempts, who started them, and partial outcomes.

A running job records its last sign of life (`heartbeat_at`) so the scheduled check can
tell a stalled job from a slow one; `attempts` counts how often it was handed to a worker,
so the check sends it again only a few times before failing it with the reason. Who started
a job (`started_by_id`, `origin`) is shown on the jobs page. A cycle's letters can now end
`partial` (some agencies' letters written, the others named), so the status check allows it.

Revision ID: b7e1a2c30006
Revises: b7e1a2c30005
Create Date: 2026-11-27 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1a2c30006'
down_revision = 'b7e1a2c30005'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('queued', 'running', 'done', 'failed')"
NEW_STATUSES = "status IN ('queued', 'running', 'done', 'partial', 'failed')"


def upgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('started_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=20), server_default='schedule',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_job_runs_started_by_id'), ['started_by_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_job_runs_started_by_id_users'), 'users',
                                    ['started_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_job_runs_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_job_runs_status_known'), NEW_STATUSES)
        batch_op.create_check_constraint(batch_op.f('ck_job_runs_attempts_not_negative'),
                                         'attempts >= 0')
    # Jobs already recorded were each handed over once (or ran in-process once).
    op.execute("UPDATE job_runs SET attempts = 1, origin = 'command'")


def downgrade():
    op.execute("UPDATE job_runs SET status = 'done' WHERE status = 'partial'")
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_job_runs_attempts_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_job_runs_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_job_runs_status_known'), OLD_STATUSES)
        batch_op.drop_constraint(batch_op.f('fk_job_runs_started_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_job_runs_started_by_id'))
        batch_op.drop_column('origin')
        batch_op.drop_column('started_by_id')
        batch_op.drop_column('attempts')
        batch_op.drop_column('heartbeat_at')
