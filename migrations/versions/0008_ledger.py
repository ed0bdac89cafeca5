"""money ledger: accounts, transfers and postings; a pool's declared total and the money it received

``funding_pools.total_cents`` becomes ``declared_cents`` (what the funder intends to put in);
``received_cents`` is new. The ledger starts with the money already on the books, written from
the rows as they stand:

* every payment order received: its donation or top-up (key ``payment_order:<id>``);
* every pledge: pledged from its pool, then released to the project or withdrawn;
* every matching campaign: reserved from its pool, then matched to projects and the rest
  returned (closed) or all returned (cancelled);
* every commitment: reserved from its pool, then paid out or released;
* an ``opening`` transfer from outside for whatever the account still holds that no row
  explains: a pool's money declared before there were payment orders, or a project's funds
  from elsewhere.

Afterwards every account holds what its row says (a pool its ``remaining_cents``, a project its
``funded_cents``, an active pledge, an open campaign and a reserved commitment their amount) and a
pool's ``received_cents`` is its money from outside: the old ``total_cents`` when the old books
balanced. Rows that contradict each other are left as they are and named in the log; ``flask
ledger check`` reports them too.

Downgrading drops the ledger and sets ``total_cents`` to the money received (``remaining_cents
<= total_cents`` held before); a declared total not received yet is lost.

Revision ID: 0008_ledger
Revises: 0007_audit_keyed
Create Date: 2026-12-06 10:10:00.000000

"""
import logging
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_ledger'
down_revision = '0007_audit_keyed'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

MEMO = "carried over from the books kept before the ledger (migration 0008_ledger)"
OUTSIDE = ('outside', 0)

# The tables as this revision finds them (the models may have moved on since).
_when = sa.DateTime(timezone=True)
pools = sa.table('funding_pools', sa.column('id', sa.Integer), sa.column('remaining_cents', sa.BigInteger),
                 sa.column('received_cents', sa.BigInteger), sa.column('created_at', _when))
projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('funded_cents', sa.BigInteger),
                    sa.column('created_at', _when))
orders = sa.table('payment_orders', sa.column('id', sa.Integer), sa.column('purpose', sa.String),
                  sa.column('status', sa.String), sa.column('amount_cents', sa.BigInteger),
                  sa.column('project_id', sa.Integer), sa.column('pool_id', sa.Integer),
                  sa.column('confirmed_by_id', sa.Integer), sa.column('paid_at', _when),
                  sa.column('updated_at', _when))
pledges = sa.table('pledges', sa.column('id', sa.Integer), sa.column('pool_id', sa.Integer),
                   sa.column('project_id', sa.Integer), sa.column('amount_cents', sa.BigInteger),
                   sa.column('status', sa.String), sa.column('pledged_by_id', sa.Integer),
                   sa.column('pledged_at', _when), sa.column('settled_by_id', sa.Integer),
                   sa.column('settled_at', _when), sa.column('created_at', _when), sa.column('updated_at', _when))
campaigns = sa.table('matching_campaigns', sa.column('id', sa.Integer), sa.column('pool_id', sa.Integer),
                     sa.column('amount_cents', sa.BigInteger), sa.column('status', sa.String),
                     sa.column('created_by_id', sa.Integer), sa.column('closed_by_id', sa.Integer),
                     sa.column('closed_at', _when), sa.column('created_at', _when), sa.column('updated_at', _when))
allocations = sa.table('campaign_allocations', sa.column('id', sa.Integer), sa.column('campaign_id', sa.Integer),
                       sa.column('project_id', sa.Integer), sa.column('match_cents', sa.BigInteger))
commitments = sa.table('funding_commitments', sa.column('id', sa.Integer), sa.column('pool_id', sa.Integer),
                       sa.column('project_id', sa.Integer), sa.column('amount_cents', sa.BigInteger),
                       sa.column('status', sa.String), sa.column('released_at', _when), sa.column('paid_at', _when),
                       sa.column('created_at', _when), sa.column('updated_at', _when))
accounts_table = sa.table('ledger_accounts', sa.column('kind', sa.String), sa.column('ref_id', sa.Integer),
                          sa.column('balance_cents', sa.BigInteger), sa.column('external_cents', sa.BigInteger))
# A Table (not a lightweight table) so that inserting many rows returns their ids in order.
transfers_table = sa.Table('ledger_transfers', sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),
                           sa.Column('movement', sa.String(30)), sa.Column('amount_cents', sa.BigInteger),
                           sa.Column('key', sa.String(120)), sa.Column('occurred_at', _when),
                           sa.Column('actor_id', sa.Integer), sa.Column('reference_type', sa.String(40)),
                           sa.Column('reference_id', sa.Integer), sa.Column('project_id', sa.Integer),
                           sa.Column('memo', sa.Text))
postings_table = sa.table('ledger_postings', sa.column('transfer_id', sa.Integer), sa.column('account_kind', sa.String),
                          sa.column('account_ref', sa.Integer), sa.column('amount_cents', sa.BigInteger))


def upgrade():
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('balance_cents', sa.BigInteger(), nullable=False),
    sa.Column('external_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('balance_cents >= 0', name=op.f('ck_ledger_accounts_balance_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_ledger_accounts_kind_ref_id'))
    )
    op.create_table('ledger_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('movement', sa.String(length=30), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reference_type', sa.String(length=40), nullable=False),
    sa.Column('reference_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ledger_transfers_actor_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ledger_transfers_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transfers')),
    sa.UniqueConstraint('key', name=op.f('uq_ledger_transfers_key'))
    )
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_transfers_movement'), ['movement'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_transfers_project_id'), ['project_id'], unique=False)

    op.create_table('ledger_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('account_kind', sa.String(length=20), nullable=False),
    sa.Column('account_ref', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_cents <> 0', name=op.f('ck_ledger_postings_amount_non_zero')),
    sa.ForeignKeyConstraint(['transfer_id'], ['ledger_transfers.id'], name=op.f('fk_ledger_postings_transfer_id_ledger_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_postings'))
    )
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_account', ['account_kind', 'account_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_postings_transfer_id'), ['transfer_id'], unique=False)

    with op.batch_alter_table('funding_pools', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_funding_pools_total_non_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_funding_pools_remaining_within_total'), type_='check')
        batch_op.alter_column('total_cents', new_column_name='declared_cents', existing_type=sa.BigInteger(),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('received_cents', sa.BigInteger(), nullable=False, server_default='0'))

    _carry_over_the_books(op.get_bind())

    with op.batch_alter_table('funding_pools', schema=None) as batch_op:
        batch_op.alter_column('received_cents', existing_type=sa.BigInteger(), existing_nullable=False,
                              server_default=None)
        batch_op.create_check_constraint(batch_op.f('ck_funding_pools_declared_non_negative'), 'declared_cents >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_funding_pools_remaining_within_received'),
                                         'remaining_cents >= 0 AND remaining_cents <= received_cents')


def downgrade():
    with op.batch_alter_table('funding_pools', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_funding_pools_remaining_within_received'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_funding_pools_declared_non_negative'), type_='check')

    # Before the ledger a pool's total was the money put in; what it still holds never exceeds it.
    op.execute(sa.text("UPDATE funding_pools SET declared_cents = received_cents"))

    with op.batch_alter_table('funding_pools', schema=None) as batch_op:
        batch_op.drop_column('received_cents')
        batch_op.alter_column('declared_cents', new_column_name='total_cents', existing_type=sa.BigInteger(),
                              existing_nullable=False)
        batch_op.create_check_constraint(batch_op.f('ck_funding_pools_total_non_negative'), 'total_cents >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_funding_pools_remaining_within_total'),
                                         'remaining_cents >= 0 AND remaining_cents <= total_cents')

    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_postings_transfer_id'))
        batch_op.drop_index('ix_ledger_postings_account')

    op.drop_table('ledger_postings')
    with op.batch_alter_table('ledger_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_project_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_transfers_movement'))

    op.drop_table('ledger_transfers')
    op.drop_table('ledger_accounts')


# ---------------------------------------------------------------- carrying the books over

class _Books:
    """Transfers to write, and the balances they give each account."""

    def __init__(self):
        self.transfers = []
        self.balance = defaultdict(int)
        self.external = defaultdict(int)

    def move(self, movement, amount, source, target, at, *, reference, actor_id=None, project_id=None, key=None,
             first=False):
        if not amount or amount <= 0:
            return
        # Openings come first among transfers of the same moment; otherwise the order of the rows.
        order = (at, 0 if first else 1, len(self.transfers))
        self.transfers.append((order, {
            'movement': movement, 'amount_cents': amount, 'key': key, 'occurred_at': at, 'actor_id': actor_id,
            'reference_type': reference[0], 'reference_id': reference[1], 'project_id': project_id, 'memo': MEMO,
        }, source, target))
        external = OUTSIDE in (source, target)
        for account, delta in ((source, -amount), (target, amount)):
            if account != OUTSIDE:
                self.balance[account] += delta
                if external:
                    self.external[account] += delta


def _carry_over_the_books(connection):
    books = _Books()
    held = {}  # account -> (what its row says it holds, when the row began, reference, project id)

    for row in connection.execute(sa.select(pools).order_by(pools.c.id)):
        held[('pool', row.id)] = (row.remaining_cents, row.created_at, ('funding_pools', row.id), None)
    for row in connection.execute(sa.select(projects).order_by(projects.c.id)):
        held[('project', row.id)] = (row.funded_cents, row.created_at, ('projects', row.id), row.id)

    for row in connection.execute(sa.select(orders).where(orders.c.status == 'received').order_by(orders.c.id)):
        at = row.paid_at or row.updated_at
        reference = ('payment_orders', row.id)
        if row.purpose == 'donation':
            books.move('donation', row.amount_cents, OUTSIDE, ('project', row.project_id), at, reference=reference,
                       actor_id=row.confirmed_by_id, project_id=row.project_id, key=f'payment_order:{row.id}')
        elif row.purpose == 'pool_topup':
            books.move('top_up', row.amount_cents, OUTSIDE, ('pool', row.pool_id), at, reference=reference,
                       actor_id=row.confirmed_by_id, key=f'payment_order:{row.id}')

    for row in connection.execute(sa.select(pledges).order_by(pledges.c.id)):
        account, pool, reference = ('pledge', row.id), ('pool', row.pool_id), ('pledges', row.id)
        held[account] = (row.amount_cents if row.status == 'pledged' else 0, row.created_at, reference, row.project_id)
        books.move('pledge', row.amount_cents, pool, account, row.pledged_at, reference=reference,
                   actor_id=row.pledged_by_id, project_id=row.project_id)
        settled_at = row.settled_at or row.updated_at
        if row.status == 'released_to_project':
            books.move('pledge_release', row.amount_cents, account, ('project', row.project_id), settled_at,
                       reference=reference, actor_id=row.settled_by_id, project_id=row.project_id)
        elif row.status == 'withdrawn':
            books.move('pledge_withdrawal', row.amount_cents, account, pool, settled_at, reference=reference,
                       actor_id=row.settled_by_id, project_id=row.project_id)

    matches = defaultdict(list)
    for row in connection.execute(sa.select(allocations).where(allocations.c.match_cents > 0)
                                  .order_by(allocations.c.id)):
        matches[row.campaign_id].append(row)
    for row in connection.execute(sa.select(campaigns).order_by(campaigns.c.id)):
        account, pool, reference = ('campaign', row.id), ('pool', row.pool_id), ('matching_campaigns', row.id)
        held[account] = (row.amount_cents if row.status == 'open' else 0, row.created_at, reference, None)
        books.move('campaign_reserve', row.amount_cents, pool, account, row.created_at, reference=reference,
                   actor_id=row.created_by_id)
        closed_at = row.closed_at or row.updated_at
        if row.status == 'closed':
            for allocation in matches[row.id]:
                books.move('campaign_match', allocation.match_cents, account, ('project', allocation.project_id),
                           closed_at, reference=reference, actor_id=row.closed_by_id, project_id=allocation.project_id)
            left = row.amount_cents - sum(allocation.match_cents for allocation in matches[row.id])
            books.move('campaign_return', left, account, pool, closed_at, reference=reference,
                       actor_id=row.closed_by_id)
        elif row.status == 'cancelled':
            books.move('campaign_return', row.amount_cents, account, pool, closed_at, reference=reference,
                       actor_id=row.closed_by_id)

    for row in connection.execute(sa.select(commitments).order_by(commitments.c.id)):
        account, pool, reference = ('commitment', row.id), ('pool', row.pool_id), ('funding_commitments', row.id)
        held[account] = (row.amount_cents if row.status == 'reserved' else 0, row.created_at, reference, row.project_id)
        books.move('commitment', row.amount_cents, pool, account, row.created_at, reference=reference,
                   project_id=row.project_id)
        if row.status == 'released':
            books.move('commitment_release', row.amount_cents, account, pool, row.released_at or row.updated_at,
                       reference=reference, project_id=row.project_id)
        elif row.status == 'paid':
            books.move('payout', row.amount_cents, account, OUTSIDE, row.paid_at or row.updated_at,
                       reference=reference, project_id=row.project_id)

    for account, (amount, began, reference, project_id) in held.items():
        missing = amount - books.balance.get(account, 0)
        if missing > 0:
            books.move('opening', missing, OUTSIDE, account, began, reference=reference, project_id=project_id,
                       key=f'opening:{account[0]}:{account[1]}', first=True)
        elif missing < 0:
            log.warning("ledger: %s %s holds %s according to its row, but its history adds up to %s; "
                        "`flask ledger check` will report it", account[0], account[1], amount, amount - missing)

    books.transfers.sort(key=lambda item: item[0])
    if books.transfers:
        ids = connection.execute(
            transfers_table.insert().returning(transfers_table.c.id, sort_by_parameter_order=True),
            [values for _, values, _, _ in books.transfers]).scalars().all()
        connection.execute(postings_table.insert(), [
            {'transfer_id': transfer_id, 'account_kind': kind, 'account_ref': ref, 'amount_cents': amount}
            for transfer_id, (_, values, source, target) in zip(ids, books.transfers, strict=True)
            for (kind, ref), amount in ((source, -values['amount_cents']), (target, values['amount_cents']))])
        connection.execute(accounts_table.insert(), [
            {'kind': kind, 'ref_id': ref, 'balance_cents': balance, 'external_cents': books.external[(kind, ref)]}
            for (kind, ref), balance in sorted(books.balance.items())])
    received = [{'pool': ref, 'received': books.external[('pool', ref)]}
                for kind, ref in held if kind == 'pool' and books.external.get(('pool', ref))]
    if received:
        connection.execute(pools.update().where(pools.c.id == sa.bindparam('pool'))
                           .values(received_cents=sa.bindparam('received')), received)
