"""listing pages: a covering index for the public projects' default order

Revision ID: 0006_listing_index
Revises: 0005_payments
Create Date: 2026-11-26 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_listing_index'
down_revision = '0005_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_projects_public_newest', 'projects', ['created_at', 'id'], unique=False,
                    postgresql_where=sa.text("status <> 'draft'"), sqlite_where=sa.text("status <> 'draft'"))


def downgrade():
    op.drop_index('ix_projects_public_newest', table_name='projects',
                  postgresql_where=sa.text("status <> 'draft'"), sqlite_where=sa.text("status <> 'draft'"))
