"""vocabulary_terms: each district keeps its own added words (district_id; an administrator's serve the city)

Revision ID: 0028_vocabulary_district
Revises: 0027_one_round_under_way
Create Date: 2026-12-07 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_vocabulary_district'
down_revision = '0027_one_round_under_way'
branch_labels = None
depends_on = None

ACTIVE = "removed_at IS NULL"


def upgrade():
    with op.batch_alter_table('vocabulary_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_vocabulary_terms_district_id_districts'), 'districts',
                                    ['district_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_vocabulary_terms_district_id'), ['district_id'], unique=False)
    # A word belongs to the district of the official who added it (an administrator's to the whole city).
    op.execute(sa.text("UPDATE vocabulary_terms SET district_id = "
                       "(SELECT users.district_id FROM users WHERE users.id = vocabulary_terms.added_by_id)"))
    op.drop_index('uq_vocabulary_terms_active', table_name='vocabulary_terms')
    op.create_index('uq_vocabulary_terms_active', 'vocabulary_terms', ['district_id', 'category_id', 'skill', 'term'],
                    unique=True, postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade():
    # One vocabulary again: of the same active word in several districts, the first added stays.
    op.execute(sa.text(f"""
        UPDATE vocabulary_terms SET removed_at = created_at WHERE {ACTIVE} AND id NOT IN (
            SELECT min(id) FROM vocabulary_terms WHERE {ACTIVE} GROUP BY category_id, skill, term)"""))
    op.drop_index('uq_vocabulary_terms_active', table_name='vocabulary_terms')
    op.create_index('uq_vocabulary_terms_active', 'vocabulary_terms', ['category_id', 'skill', 'term'], unique=True,
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
    with op.batch_alter_table('vocabulary_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vocabulary_terms_district_id'))
        batch_op.drop_constraint(batch_op.f('fk_vocabulary_terms_district_id_districts'), type_='foreignkey')
        batch_op.drop_column('district_id')
