"""audit trail: gap-free sequence numbers and the signing key of each event

Existing events are numbered 1..n in the order they were chained (by id) and marked 'legacy':
they keep verifying with plain SHA-256 and form the beginning of the keyed chain.
Downgrading drops both columns; events signed with a key after the upgrade no longer verify
with the old code.

Revision ID: 0007_audit_keyed
Revises: 0006_listing_index
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_audit_keyed'
down_revision = '0006_listing_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=40), nullable=False, server_default='legacy'))

    op.execute(sa.text(
        "UPDATE audit_events SET seq = numbered.n "
        "FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM audit_events) AS numbered "
        "WHERE audit_events.id = numbered.id"))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('key_id', existing_type=sa.String(length=40), existing_nullable=False,
                              server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('key_id')
        batch_op.drop_column('seq')
