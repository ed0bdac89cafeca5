"""micro_rounds: at most one round under way per community, and one street-wide round per street

Revision ID: 0027_one_round_under_way
Revises: 0026_district_routes
Create Date: 2026-12-07 08:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_one_round_under_way'
down_revision = '0026_district_routes'
branch_labels = None
depends_on = None

UNDER_WAY = "phase IN ('collection', 'review', 'voting', 'notice')"


def upgrade():
    twice = op.get_bind().execute(sa.text(
        f"SELECT street_id, coalesce(community_id, 0), count(*) FROM micro_rounds WHERE {UNDER_WAY} "
        "GROUP BY street_id, coalesce(community_id, 0) HAVING count(*) > 1")).all()
    if twice:
        shown = ", ".join(f"street {street} community {community or '(street-wide)'}"
                          for street, community, _n in twice[:10])
        raise RuntimeError(f"{len(twice)} places have more than one round under way ({shown}"
                           f"{', ...' if len(twice) > 10 else ''}); finish or cancel the extra rounds, then upgrade")
    op.create_index('uq_micro_rounds_community_under_way', 'micro_rounds', ['community_id'], unique=True,
                    sqlite_where=sa.text(UNDER_WAY), postgresql_where=sa.text(UNDER_WAY))
    street_wide = f"community_id IS NULL AND {UNDER_WAY}"
    op.create_index('uq_micro_rounds_street_wide_under_way', 'micro_rounds', ['street_id'], unique=True,
                    sqlite_where=sa.text(street_wide), postgresql_where=sa.text(street_wide))


def downgrade():
    op.drop_index('uq_micro_rounds_street_wide_under_way', table_name='micro_rounds')
    op.drop_index('uq_micro_rounds_community_under_way', table_name='micro_rounds')
