"""organisations: what they may be contracted for (services, goods, works) and the licences they hold

Revision ID: 0021_supply_types
Revises: 0020_match_run_once
Create Date: 2026-12-07 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_supply_types'
down_revision = '0020_match_run_once'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing organisation keeps what matching assumed so far: services only.
    with op.batch_alter_table('organizations') as batch:
        batch.add_column(sa.Column('supplies', sa.JSON(), nullable=False, server_default='["service"]'))
        batch.add_column(sa.Column('qualifications', sa.JSON(), nullable=False, server_default='[]'))
    # The defaults only filled existing rows: new rows get theirs from the model.
    with op.batch_alter_table('organizations') as batch:
        batch.alter_column('supplies', existing_type=sa.JSON(), existing_nullable=False, server_default=None)
        batch.alter_column('qualifications', existing_type=sa.JSON(), existing_nullable=False, server_default=None)


def downgrade():
    with op.batch_alter_table('organizations') as batch:
        batch.drop_column('qualifications')
        batch.drop_column('supplies')
