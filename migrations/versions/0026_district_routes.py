"""micro_category_routes: each district keeps its own category → department map (district_id)

Revision ID: 0026_district_routes
Revises: 0025_expert_district
Create Date: 2026-12-07 07:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_district_routes'
down_revision = '0025_expert_district'
branch_labels = None
depends_on = None

# A route's district is its department's: the district it is registered in, else its home street's.
_OFFICE_DISTRICT = """
    SELECT coalesce(o.district_id, s.district_id) FROM organizations o
    LEFT JOIN streets s ON s.id = o.home_street_id
    WHERE o.id = micro_category_routes.office_id
"""


def upgrade():
    with op.batch_alter_table('micro_category_routes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
    op.execute(sa.text(f"UPDATE micro_category_routes SET district_id = ({_OFFICE_DISTRICT})"))
    # A department placed in no district answered for every district; with one district it is that one's.
    only = op.get_bind().execute(sa.text("SELECT min(id), count(*) FROM districts")).first()
    if only and only[1] == 1:
        op.execute(sa.text("UPDATE micro_category_routes SET district_id = :district WHERE district_id IS NULL")
                   .bindparams(district=only[0]))
    # With several, such a route cannot be placed: its categories go back to the street offices.
    op.execute(sa.text("DELETE FROM micro_category_routes WHERE district_id IS NULL"))
    with op.batch_alter_table('micro_category_routes', schema=None) as batch_op:
        batch_op.alter_column('district_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_micro_category_routes_district_id_districts'), 'districts',
                                    ['district_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_micro_category_routes_district_id'), ['district_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_micro_category_routes_category_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_micro_category_routes_district_id_category_id'),
                                          ['district_id', 'category_id'])


def downgrade():
    # One department per category again: the lowest district's choice stays.
    op.execute(sa.text("""
        DELETE FROM micro_category_routes WHERE id NOT IN (
            SELECT min(id) FROM micro_category_routes r
            WHERE r.district_id = (SELECT min(district_id) FROM micro_category_routes x
                                   WHERE x.category_id = r.category_id)
            GROUP BY category_id)"""))
    with op.batch_alter_table('micro_category_routes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_micro_category_routes_district_id_category_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_micro_category_routes_category_id'), ['category_id'])
        batch_op.drop_index(batch_op.f('ix_micro_category_routes_district_id'))
        batch_op.drop_constraint(batch_op.f('fk_micro_category_routes_district_id_districts'), type_='foreignkey')
        batch_op.drop_column('district_id')
