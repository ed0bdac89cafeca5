"""experts: each district keeps its own expert pool (district_id)

Revision ID: 0025_expert_district
Revises: 0024_lot_type
Create Date: 2026-12-07 06:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_expert_district'
down_revision = '0024_lot_type'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.add_column('experts', sa.Column('district_id', sa.Integer(), sa.ForeignKey('districts.id'), nullable=True),
                      inline_references=True)
    else:
        op.add_column('experts', sa.Column('district_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_experts_district_id_districts', 'experts', 'districts', ['district_id'], ['id'])
    op.create_index('ix_experts_district_id', 'experts', ['district_id'], unique=False)
    # An installation of one district: its pool is that district's. With several, an administrator
    # places each existing expert (until then no district official manages or draws them).
    only = op.get_bind().execute(sa.text("SELECT min(id), count(*) FROM districts")).first()
    if only and only[1] == 1:
        op.execute(sa.text("UPDATE experts SET district_id = :district").bindparams(district=only[0]))


def downgrade():
    op.drop_index('ix_experts_district_id', table_name='experts')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE experts DROP COLUMN district_id")
    else:
        op.drop_constraint('fk_experts_district_id_districts', 'experts', type_='foreignkey')
        op.drop_column('experts', 'district_id')
