"""match runs: the same request (scope, selection, options) runs once at a time, on any server

Revision ID: 0020_match_run_once
Revises: 0019_database_search
Create Date: 2026-12-07 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_match_run_once'
down_revision = '0019_database_search'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade():
    # Earlier runs have no key: they never collide.
    with op.batch_alter_table('match_runs') as batch:
        batch.add_column(sa.Column('request_key', sa.String(length=64), nullable=True))
    op.create_index('uq_match_runs_active_request', 'match_runs', ['request_key'], unique=True,
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade():
    op.drop_index('uq_match_runs_active_request', table_name='match_runs')
    with op.batch_alter_table('match_runs') as batch:
        batch.drop_column('request_key')
