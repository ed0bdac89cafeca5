"""vocabulary terms: the words officials add to the sector vocabulary the matching engine uses

Revision ID: 0022_vocabulary_terms
Revises: 0021_supply_types
Create Date: 2026-12-07 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_vocabulary_terms'
down_revision = '0021_supply_types'
branch_labels = None
depends_on = None

ACTIVE = "removed_at IS NULL"


def upgrade():
    op.create_table('vocabulary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('skill', sa.String(length=60), nullable=False),
    sa.Column('term', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('zh', 'en')", name=op.f('ck_vocabulary_terms_language_known')),
    sa.CheckConstraint('length(skill) > 0 AND length(term) > 0', name=op.f('ck_vocabulary_terms_words_given')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_vocabulary_terms_added_by_id_users')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_vocabulary_terms_category_id_categories')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_vocabulary_terms_removed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_terms'))
    )
    with op.batch_alter_table('vocabulary_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vocabulary_terms_category_id'), ['category_id'], unique=False)
    op.create_index('uq_vocabulary_terms_active', 'vocabulary_terms', ['category_id', 'skill', 'term'], unique=True,
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade():
    op.drop_index('uq_vocabulary_terms_active', table_name='vocabulary_terms')
    with op.batch_alter_table('vocabulary_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vocabulary_terms_category_id'))
    op.drop_table('vocabulary_terms')
