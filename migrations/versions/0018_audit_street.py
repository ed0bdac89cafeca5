"""audit trail: the street each event's object stands in, so that street officials read their street's record

Revision ID: 0018_audit_street
Revises: 0017_audit_object_index
Create Date: 2026-12-07 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_audit_street'
down_revision = '0017_audit_object_index'
branch_labels = None
depends_on = None


def upgrade():
    # Earlier events keep no street: every official reads them, as before.
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('street_id', sa.Integer(), nullable=True))
        batch.create_index('ix_audit_events_street_id', ['street_id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_index('ix_audit_events_street_id')
        batch.drop_column('street_id')
