"""micro-projects: proposals and flags routed to a street office or a district department, with deadlines and escalation

Revision ID: 0016_proposal_routing
Revises: 0015_procurement
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_proposal_routing'
down_revision = '0015_procurement'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('micro_category_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_micro_category_routes_category_id_categories')),
    sa.ForeignKeyConstraint(['office_id'], ['organizations.id'], name=op.f('fk_micro_category_routes_office_id_organizations')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_micro_category_routes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_category_routes')),
    sa.UniqueConstraint('category_id', name=op.f('uq_micro_category_routes_category_id'))
    )
    with op.batch_alter_table('micro_category_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_category_routes_office_id'), ['office_id'], unique=False)

    op.create_table('micro_routed_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('to_department', sa.Boolean(), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ack_escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(proposal_id IS NULL) <> (flag_id IS NULL)', name=op.f('ck_micro_routed_items_one_subject')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_micro_routed_items_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['flag_id'], ['micro_flags.id'], name=op.f('fk_micro_routed_items_flag_id_micro_flags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['organizations.id'], name=op.f('fk_micro_routed_items_office_id_organizations')),
    sa.ForeignKeyConstraint(['proposal_id'], ['micro_proposals.id'], name=op.f('fk_micro_routed_items_proposal_id_micro_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['street_id'], ['streets.id'], name=op.f('fk_micro_routed_items_street_id_streets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_micro_routed_items')),
    sa.UniqueConstraint('flag_id', name=op.f('uq_micro_routed_items_flag_id')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_micro_routed_items_proposal_id'))
    )
    with op.batch_alter_table('micro_routed_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_micro_routed_items_ack_due_at'), ['ack_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_micro_routed_items_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_micro_routed_items_review_due_at'), ['review_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_micro_routed_items_street_id'), ['street_id'], unique=False)


def downgrade():
    with op.batch_alter_table('micro_routed_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_routed_items_street_id'))
        batch_op.drop_index(batch_op.f('ix_micro_routed_items_review_due_at'))
        batch_op.drop_index(batch_op.f('ix_micro_routed_items_office_id'))
        batch_op.drop_index(batch_op.f('ix_micro_routed_items_ack_due_at'))
    op.drop_table('micro_routed_items')
    with op.batch_alter_table('micro_category_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_micro_category_routes_office_id'))
    op.drop_table('micro_category_routes')
