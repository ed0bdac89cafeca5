"""payments: budget appropriations into a pool, the payer's document reference

Downgrading turns appropriations into bank-transfer top-ups (the older release knows no other
way for money to reach a pool).

Revision ID: 0011_payments_appropriations
Revises: 0010_eligibility_facts
Create Date: 2026-12-06 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_payments_appropriations'
down_revision = '0010_eligibility_facts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_ref', sa.String(length=100), nullable=False, server_default=''))
        batch_op.drop_constraint(batch_op.f('ck_payment_orders_one_target'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_payment_orders_one_target'),
            "(purpose = 'donation' AND project_id IS NOT NULL AND pool_id IS NULL) OR "
            "(purpose IN ('pool_topup', 'appropriation') AND pool_id IS NOT NULL AND project_id IS NULL)")

    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.alter_column('document_ref', existing_type=sa.String(length=100), existing_nullable=False,
                              server_default=None)


def downgrade():
    op.execute(sa.text("UPDATE payment_orders SET purpose = 'pool_topup', method = 'bank_transfer' "
                       "WHERE purpose = 'appropriation'"))
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payment_orders_one_target'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_payment_orders_one_target'),
            "(purpose = 'donation' AND project_id IS NOT NULL AND pool_id IS NULL) OR "
            "(purpose = 'pool_topup' AND pool_id IS NOT NULL AND project_id IS NULL)")
        batch_op.drop_column('document_ref')
