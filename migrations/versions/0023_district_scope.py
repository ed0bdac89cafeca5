"""districts in the policy: officials, projects, organisations, matching runs and audit events name the
district they belong to, so that one installation serves every district of a city

Existing data belongs to one district: rows in a street take their street's district; the rest (the
district's own projects, district-wide officials, organisations without a home street, their runs and
events) take the one district when there is exactly one. Administrators stay city-wide.

Revision ID: 0023_district_scope
Revises: 0022_vocabulary_terms
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_district_scope'
down_revision = '0022_vocabulary_terms'
branch_labels = None
depends_on = None

# table: has a foreign key to districts (the audit trail names ids only, like its street_id)
TABLES = {'users': True, 'organizations': True, 'projects': True, 'match_runs': True, 'audit_events': False}
SEARCHABLE = {'organizations': (('name', 'name_en'), ('capability', 'capability_en')),
              'projects': (('title', 'title_en'), ('description', 'description_en'))}
STREET_COLUMN = {'organizations': 'home_street_id', 'projects': 'street_id', 'match_runs': 'street_id',
                 'users': 'street_id', 'audit_events': 'street_id'}


def _joined(columns, prefix=''):
    return " || ' ' || ".join(prefix + name for name in columns)


def _add(table, with_key):
    if with_key and op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its REFERENCES clause in place; a batch copy would drop the search
        # triggers (0019) and the partial indexes of these tables.
        op.add_column(table, sa.Column('district_id', sa.Integer(), sa.ForeignKey('districts.id'), nullable=True),
                      inline_references=True)
    else:
        op.add_column(table, sa.Column('district_id', sa.Integer(), nullable=True))
        if with_key:
            op.create_foreign_key(f'fk_{table}_district_id_districts', table, 'districts', ['district_id'], ['id'])
    op.create_index(f'ix_{table}_district_id', table, ['district_id'], unique=False)


def _backfill(table):
    street = STREET_COLUMN[table]
    op.execute(f"UPDATE {table} SET district_id = (SELECT streets.district_id FROM streets "
               f"WHERE streets.id = {table}.{street}) WHERE {street} IS NOT NULL")
    only = op.get_bind().execute(sa.text("SELECT min(id), count(*) FROM districts")).first()
    if not only or only[1] != 1:
        return
    rest = f"district_id IS NULL AND {street} IS NULL"
    if table == 'users':
        rest += " AND role = 'official'"
    elif table == 'match_runs':
        rest += " AND created_by_id IN (SELECT id FROM users WHERE role = 'official')"
    op.execute(sa.text(f"UPDATE {table} SET district_id = :district WHERE {rest}").bindparams(district=only[0]))


def upgrade():
    for table, with_key in TABLES.items():
        _add(table, with_key)
        _backfill(table)


def _search_triggers_again(table):
    """SQLite's batch copy drops a table's triggers: those that keep its search table (0019) come back."""
    title, body = SEARCHABLE[table]
    fts, new_title, new_body = f'{table}_search', _joined(title, 'new.'), _joined(body, 'new.')
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
               f"INSERT INTO {fts} (rowid, title, body) VALUES (new.id, {new_title}, {new_body}); END")
    op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(title + body)} ON {table} BEGIN "
               f"UPDATE {fts} SET title = {new_title}, body = {new_body} WHERE rowid = new.id; END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {fts} WHERE rowid = old.id; END")


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, with_key in TABLES.items():
        op.drop_index(f'ix_{table}_district_id', table_name=table)
        if sqlite and with_key:  # SQLite drops no column that is part of a foreign key: copy the table
            with op.batch_alter_table(table, recreate='always') as batch:
                batch.drop_column('district_id')
            if table in SEARCHABLE:
                _search_triggers_again(table)
        elif sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN district_id")
        else:
            if with_key:
                op.drop_constraint(f'fk_{table}_district_id_districts', table, type_='foreignkey')
            op.drop_column(table, 'district_id')
