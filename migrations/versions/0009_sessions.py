"""sessions and log-in throttling: a session version per account, failures counted per e-mail and address

The per-account failure counter and lock give way to ``login_throttles`` (one row per e-mail
and network address), so that guessing someone's password from elsewhere never locks the
holder out. Downgrading starts every account with no failures and no lock.

Revision ID: 0009_sessions
Revises: 0008_ledger
Create Date: 2026-12-06 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_sessions'
down_revision = '0008_ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
    sa.UniqueConstraint('email_key', 'address', name=op.f('uq_login_throttles_email_key_address'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('failed_login_count')
        batch_op.drop_column('locked_until')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_version', existing_type=sa.Integer(), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_login_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('session_version')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('failed_login_count', existing_type=sa.Integer(), existing_nullable=False,
                              server_default=None)

    op.drop_table('login_throttles')
