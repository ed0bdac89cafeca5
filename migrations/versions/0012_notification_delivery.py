"""notification delivery: e-mail and SMS with retries and dead letters, each user's channels per kind

The outbox gains a channel (existing rows are e-mails), the attempt count, last error and time of
the next attempt, a worker's claim, and the times a message was given up on or discarded. Users
gain the language they last chose and a mobile number. Downgrading drops the channel choices and
the SMS rows of the outbox (the older release sends only e-mail).

Revision ID: 0012_notification_delivery
Revises: 0011_payments_appropriations
Create Date: 2026-12-08 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_notification_delivery'
down_revision = '0011_payments_appropriations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_preferences_user_id_kind'))
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE notification_outbox SET next_attempt_at = created_at"))
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.alter_column('channel', existing_type=sa.String(length=10), existing_nullable=False,
                              server_default=None)
        batch_op.alter_column('attempts', existing_type=sa.Integer(), existing_nullable=False, server_default=None)
        batch_op.alter_column('last_error', existing_type=sa.Text(), existing_nullable=False, server_default=None)
        batch_op.alter_column('next_attempt_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_notification_outbox_next_attempt_at'), ['next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notification_outbox_dead_at'), ['dead_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('language')

    op.execute(sa.text("DELETE FROM notification_outbox WHERE channel <> 'email'"))
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_outbox_dead_at'))
        batch_op.drop_index(batch_op.f('ix_notification_outbox_next_attempt_at'))
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('channel')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))
    op.drop_table('notification_preferences')
