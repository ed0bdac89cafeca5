"""contracts: third-party evaluations (第三方评估) of milestones at acceptance

Revision ID: 0014_contract_evaluations
Revises: 0013_expert_panels
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_contract_evaluations'
down_revision = '0013_expert_panels'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('evaluator_org_id', sa.Integer(), nullable=True),
    sa.Column('evaluator_name', sa.String(length=200), nullable=False),
    sa.Column('evaluator_credit_code', sa.String(length=18), nullable=False),
    sa.Column('conclusion', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("evaluator_name != ''", name=op.f('ck_contract_evaluations_evaluator_named')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_contract_evaluations_size_positive')),
    sa.ForeignKeyConstraint(['evaluator_org_id'], ['organizations.id'],
                            name=op.f('fk_contract_evaluations_evaluator_org_id_organizations')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'],
                            name=op.f('fk_contract_evaluations_milestone_id_milestones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_contract_evaluations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_evaluations')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_contract_evaluations_stored_name'))
    )
    with op.batch_alter_table('contract_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_evaluations_evaluator_org_id'), ['evaluator_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_evaluations_milestone_id'), ['milestone_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contract_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_evaluations_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_contract_evaluations_evaluator_org_id'))

    op.drop_table('contract_evaluations')
