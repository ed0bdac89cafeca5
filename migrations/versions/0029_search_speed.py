"""search: a generated column of the English title's to_tsvector('english') on PostgreSQL, for the
ranking of projects, organisations and funding pools

Ranking by ts_rank parsed and stemmed the English title of every row a query finds (most of the
time of an English search of a large table); the database now keeps the vector with the row.
market/search/schema.py describes the same column for ``db.create_all()``. SQLite: nothing.

Revision ID: 0029_search_speed
Revises: 0028_vocabulary_district
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0029_search_speed'
down_revision = '0028_vocabulary_district'
branch_labels = None
depends_on = None

# table: its English title column
ENGLISH_TITLES = {
    'funding_pools': 'name_en',
    'organizations': 'name_en',
    'projects': 'title_en',
}


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, column in ENGLISH_TITLES.items():
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_english tsvector GENERATED ALWAYS AS "
                   f"(to_tsvector('english'::regconfig, {column})) STORED")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in ENGLISH_TITLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_english")
