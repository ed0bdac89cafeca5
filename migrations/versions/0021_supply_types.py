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


# SQLite's batch mode rebuilds the table and with it drops the triggers that keep its search table
# (0019_database_search) in step; the rows keep their ids, so the search table itself stays right.
ORGANIZATION_SEARCH_TRIGGERS = (
    "CREATE TRIGGER organizations_search_insert AFTER INSERT ON organizations BEGIN "
    "INSERT INTO organizations_search (rowid, title, body) VALUES "
    "(new.id, new.name || ' ' || new.name_en, new.capability || ' ' || new.capability_en); END",
    "CREATE TRIGGER organizations_search_update AFTER UPDATE OF name, name_en, capability, capability_en "
    "ON organizations BEGIN UPDATE organizations_search SET title = new.name || ' ' || new.name_en, "
    "body = new.capability || ' ' || new.capability_en WHERE rowid = new.id; END",
    "CREATE TRIGGER organizations_search_delete AFTER DELETE ON organizations BEGIN "
    "DELETE FROM organizations_search WHERE rowid = old.id; END",
)


def _search_triggers_again():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in ORGANIZATION_SEARCH_TRIGGERS:
            op.execute(statement)


def upgrade():
    # Every existing organisation keeps what matching assumed so far: services only.
    with op.batch_alter_table('organizations') as batch:
        batch.add_column(sa.Column('supplies', sa.JSON(), nullable=False, server_default='["service"]'))
        batch.add_column(sa.Column('qualifications', sa.JSON(), nullable=False, server_default='[]'))
    # The defaults only filled existing rows: new rows get theirs from the model.
    with op.batch_alter_table('organizations') as batch:
        batch.alter_column('supplies', existing_type=sa.JSON(), existing_nullable=False, server_default=None)
        batch.alter_column('qualifications', existing_type=sa.JSON(), existing_nullable=False, server_default=None)
    _search_triggers_again()


def downgrade():
    with op.batch_alter_table('organizations') as batch:
        batch.drop_column('qualifications')
        batch.drop_column('supplies')
    _search_triggers_again()
