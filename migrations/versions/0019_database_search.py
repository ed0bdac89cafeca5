"""search in the database: pg_trgm indexes and a generated, indexed column of Chinese character pairs
on PostgreSQL, FTS5 trigram tables kept by triggers on SQLite, for projects, organisations and
funding pools

One revision for both databases; each builds its own structures (market/search/schema.py describes
the same ones for ``db.create_all()``, and tests/market/test_search.py checks that they agree).

Revision ID: 0019_database_search
Revises: 0018_audit_street
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_database_search'
down_revision = '0018_audit_street'
branch_labels = None
depends_on = None

# table: (title columns, body columns)
SEARCHABLE = {
    'funding_pools': (('name', 'name_en'), ('description', 'description_en')),
    'organizations': (('name', 'name_en'), ('capability', 'capability_en')),
    'projects': (('title', 'title_en'), ('description', 'description_en')),
}
# The pairs of adjacent Chinese characters in a text: two-character words, which trigrams cannot find.
CJK_PAIRS_FUNCTION = r"""CREATE OR REPLACE FUNCTION search_cjk_pairs(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(substr(run[1], i, 2)), '{}')
  FROM regexp_matches(doc, '[\u3400-\u9fff]{2,}', 'g') AS run, generate_series(1, length(run[1]) - 1) AS i
$$"""


def _joined(columns, prefix=''):
    return " || ' ' || ".join(prefix + name for name in columns)


def _postgresql_upgrade():
    bind = op.get_bind()
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    bind.exec_driver_sql(CJK_PAIRS_FUNCTION)
    # The extension may live in another schema than the tables (one on the search path).
    trgm = bind.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'").scalar_one()
    for table, (title, body) in SEARCHABLE.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_pairs text[] "
                   f"GENERATED ALWAYS AS (search_cjk_pairs({_joined(title + body)})) STORED")
        op.execute(f"CREATE INDEX ix_{table}_search_title ON {table} USING gin (({_joined(title)}) {trgm}.gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_{table}_search_body ON {table} USING gin (({_joined(body)}) {trgm}.gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_{table}_search_pairs ON {table} USING gin (search_pairs)")


def _sqlite_upgrade():
    for table, (title, body) in SEARCHABLE.items():
        fts = f'{table}_search'
        new_title, new_body = _joined(title, 'new.'), _joined(body, 'new.')
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5(title, body, tokenize='trigram')")
        op.execute(f"INSERT INTO {fts} (rowid, title, body) SELECT id, {_joined(title)}, {_joined(body)} FROM {table}")
        op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO {fts} (rowid, title, body) VALUES (new.id, {new_title}, {new_body}); END")
        op.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {', '.join(title + body)} ON {table} BEGIN "
                   f"UPDATE {fts} SET title = {new_title}, body = {new_body} WHERE rowid = new.id; END")
        op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
                   f"DELETE FROM {fts} WHERE rowid = old.id; END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        _postgresql_upgrade()
    elif dialect == 'sqlite':
        _sqlite_upgrade()


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SEARCHABLE:
        if dialect == 'postgresql':
            for part in ('title', 'body', 'pairs'):
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_{part}")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_pairs")
        elif dialect == 'sqlite':
            for when in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{when}")
            op.execute(f"DROP TABLE IF EXISTS {table}_search")
    if dialect == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS search_cjk_pairs(text)")
    # pg_trgm stays installed: other objects of the database may use it.
