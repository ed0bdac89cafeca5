"""audit trail: indexes for an object's own history and for the actor filter

Revision ID: 0017_audit_object_index
Revises: 0016_proposal_routing
Create Date: 2026-12-07 00:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_audit_object_index'
down_revision = '0016_proposal_routing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_object', 'audit_events', ['object_type', 'object_id'], unique=False)
    op.create_index('ix_audit_events_actor_id', 'audit_events', ['actor_id'], unique=False)


def downgrade():
    op.drop_index('ix_audit_events_actor_id', table_name='audit_events')
    op.drop_index('ix_audit_events_object', table_name='audit_events')
