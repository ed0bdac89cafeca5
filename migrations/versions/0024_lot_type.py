"""lots: what each lot buys (service, goods or works); empty means the same as its project

Revision ID: 0024_lot_type
Revises: 0023_district_scope
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_lot_type'
down_revision = '0023_district_scope'
branch_labels = None
depends_on = None


def upgrade():
    # Existing lots keep their project's type (NULL); the lots table has no search triggers to lose.
    op.add_column('lots', sa.Column('project_type', sa.String(length=20), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE lots DROP COLUMN project_type")
    else:
        op.drop_column('lots', 'project_type')
