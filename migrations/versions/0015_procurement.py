"""procurement: project numbers, procurement methods and their district settings, invitations, tender
documents, clarifications, opening records and late bids refused

Existing tenders become open tenders (公开招标) of their first round; their projects get numbers in the
order they were published (prefix ZFGM: no department has a code yet), and tenders already opened
get their opening record from their bids.

Revision ID: 0015_procurement
Revises: 0014_contract_evaluations
Create Date: 2026-12-06 22:57:06.366588

"""
from datetime import UTC, timedelta, timezone

from alembic import op
import sqlalchemy as sa

FALLBACK_PREFIX = "ZFGM"
BEIJING = timezone(timedelta(hours=8))


# revision identifiers, used by Alembic.
revision = '0015_procurement'
down_revision = '0014_contract_evaluations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project_number_counters',
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_seq >= 0', name=op.f('ck_project_number_counters_last_seq_non_negative')),
    sa.PrimaryKeyConstraint('prefix', 'year', name=op.f('pk_project_number_counters'))
    )
    op.create_table('procurement_settings',
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('direct_commission_max_cents', sa.BigInteger(), nullable=False),
    sa.Column('single_source_notice_days', sa.Integer(), nullable=False),
    sa.Column('clarification_days', sa.Integer(), nullable=False),
    sa.Column('number_prefix', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('clarification_days BETWEEN 1 AND 30', name=op.f('ck_procurement_settings_clarification_days_range')),
    sa.CheckConstraint('direct_commission_max_cents >= 0', name=op.f('ck_procurement_settings_threshold_non_negative')),
    sa.CheckConstraint('single_source_notice_days BETWEEN 1 AND 30', name=op.f('ck_procurement_settings_notice_days_range')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_procurement_settings_district_id_districts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_procurement_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('district_id', name=op.f('pk_procurement_settings'))
    )
    op.create_table('clarifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_extended_to', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_clarifications_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_clarifications_asked_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_clarifications_organization_id_organizations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_clarifications_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clarifications'))
    )
    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clarifications_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clarifications_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clarifications_published_at'), ['published_at'], unique=False)

    op.create_table('late_bid_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_late_bid_attempts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_late_bid_attempts_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_late_bid_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_bid_attempts'))
    )
    with op.batch_alter_table('late_bid_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_bid_attempts_project_id'), ['project_id'], unique=False)

    op.create_table('tender_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_tender_documents_size_positive')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tender_documents_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_tender_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_tender_documents_stored_name'))
    )
    with op.batch_alter_table('tender_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_documents_project_id'), ['project_id'], unique=False)

    op.create_table('tender_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_tender_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_tender_invitations_organization_id_organizations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tender_invitations_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_invitations')),
    sa.UniqueConstraint('project_id', 'organization_id', name=op.f('uq_tender_invitations_project_id_organization_id'))
    )
    with op.batch_alter_table('tender_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_invitations_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_invitations_project_id'), ['project_id'], unique=False)

    op.create_table('bid_openings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('valid_bid_count', sa.Integer(), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_bid_openings_opened_by_id_users')),
    sa.ForeignKeyConstraint(['tender_id'], ['tenders.id'], name=op.f('fk_bid_openings_tender_id_tenders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_openings')),
    sa.UniqueConstraint('tender_id', 'round', name=op.f('uq_bid_openings_tender_id_round'))
    )
    with op.batch_alter_table('bid_openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_openings_tender_id'), ['tender_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('procurement_code', sa.String(length=12), nullable=False, server_default=''))

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_projects_number'), ['number'])

    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=30), nullable=False, server_default='open_tender'))
        batch_op.add_column(sa.Column('method_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failure_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notice_ends_at', sa.DateTime(timezone=True), nullable=True))

    _number_projects()
    _record_openings()

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('procurement_code', existing_type=sa.String(length=12), existing_nullable=False,
                              server_default=None)
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        for name, type_ in (('method', sa.String(length=30)), ('method_reason', sa.Text()),
                            ('contact_name', sa.String(length=100)), ('contact_phone', sa.String(length=40)),
                            ('round', sa.Integer()), ('failure_reason', sa.Text())):
            batch_op.alter_column(name, existing_type=type_, existing_nullable=False, server_default=None)


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without type processing
        from datetime import datetime
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _number_projects():
    """Number every tendered project in the order of publication: ZFGM-<year>-<seq>."""
    connection = op.get_bind()
    projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('number', sa.String),
                        sa.column('published_at', sa.DateTime(timezone=True)))
    tenders = sa.table('tenders', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer),
                       sa.column('created_at', sa.DateTime(timezone=True)))
    counters = sa.table('project_number_counters', sa.column('prefix', sa.String), sa.column('year', sa.Integer),
                        sa.column('last_seq', sa.Integer))
    rows = connection.execute(sa.select(projects.c.id, projects.c.published_at, tenders.c.created_at, tenders.c.id)
                              .join(tenders, tenders.c.project_id == projects.c.id)).all()
    ordered = sorted(((_aware(published) or _aware(created), tender_id, project_id)
                      for project_id, published, created, tender_id in rows), key=lambda row: (row[0], row[1]))
    last: dict[int, int] = {}
    for when, _tender_id, project_id in ordered:
        year = when.astimezone(BEIJING).year
        last[year] = last.get(year, 0) + 1
        connection.execute(projects.update().where(projects.c.id == project_id)
                           .values(number=f"{FALLBACK_PREFIX}-{year:04d}-{last[year]:04d}"))
    for year, seq in sorted(last.items()):
        connection.execute(counters.insert().values(prefix=FALLBACK_PREFIX, year=year, last_seq=seq))


def _record_openings():
    """The opening record of every tender already opened, from its bids as they stand."""
    connection = op.get_bind()
    tenders = sa.table('tenders', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer),
                       sa.column('opened_at', sa.DateTime(timezone=True)), sa.column('opened_by_id', sa.Integer))
    projects = sa.table('projects', sa.column('id', sa.Integer), sa.column('bid_deadline', sa.DateTime(timezone=True)))
    bids = sa.table('bids', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer),
                    sa.column('organization_id', sa.Integer), sa.column('lot_seq', sa.Integer),
                    sa.column('price_cents', sa.BigInteger), sa.column('status', sa.String),
                    sa.column('submitted_at', sa.DateTime(timezone=True)),
                    sa.column('withdrawn_at', sa.DateTime(timezone=True)))
    orgs = sa.table('organizations', sa.column('id', sa.Integer), sa.column('name', sa.String),
                    sa.column('name_en', sa.String))
    openings = sa.table('bid_openings', sa.column('tender_id', sa.Integer), sa.column('round', sa.Integer),
                        sa.column('method', sa.String), sa.column('deadline', sa.DateTime(timezone=True)),
                        sa.column('opened_at', sa.DateTime(timezone=True)), sa.column('opened_by_id', sa.Integer),
                        sa.column('valid_bid_count', sa.Integer), sa.column('entries', sa.JSON),
                        sa.column('failed', sa.Boolean), sa.column('failure_reason', sa.Text))
    opened = connection.execute(sa.select(tenders.c.id, tenders.c.project_id, tenders.c.opened_at,
                                          tenders.c.opened_by_id, projects.c.bid_deadline)
                                .join(projects, projects.c.id == tenders.c.project_id)
                                .where(tenders.c.opened_at.is_not(None)).order_by(tenders.c.id)).all()
    for tender_id, project_id, opened_at, opened_by_id, deadline in opened:
        entries, valid = [], 0
        for row in connection.execute(sa.select(bids, orgs.c.name, orgs.c.name_en)
                                      .join(orgs, orgs.c.id == bids.c.organization_id)
                                      .where(bids.c.project_id == project_id)
                                      .order_by(bids.c.lot_seq, bids.c.id)).mappings():
            withdrawn = row['status'] == 'withdrawn'
            valid += 0 if withdrawn else 1
            entries.append({'organization_id': row['organization_id'], 'name': row['name'],
                            'name_en': row['name_en'] or '', 'lot_seq': row['lot_seq'],
                            'price_cents': None if withdrawn else row['price_cents'],
                            'submitted_at': _aware(row['submitted_at']).isoformat(),
                            'withdrawn_at': _aware(row['withdrawn_at']).isoformat()
                            if withdrawn and row['withdrawn_at'] else None})
        connection.execute(openings.insert().values(
            tender_id=tender_id, round=1, method='open_tender', deadline=_aware(deadline or opened_at),
            opened_at=_aware(opened_at), opened_by_id=opened_by_id, valid_bid_count=valid, entries=entries,
            failed=False, failure_reason=''))



def downgrade():
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.drop_column('notice_ends_at')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('round')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('method_reason')
        batch_op.drop_column('method')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_projects_number'), type_='unique')
        batch_op.drop_column('number')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('procurement_code')

    with op.batch_alter_table('bid_openings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_openings_tender_id'))

    op.drop_table('bid_openings')
    with op.batch_alter_table('tender_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_invitations_project_id'))
        batch_op.drop_index(batch_op.f('ix_tender_invitations_organization_id'))

    op.drop_table('tender_invitations')
    with op.batch_alter_table('tender_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_documents_project_id'))

    op.drop_table('tender_documents')
    with op.batch_alter_table('late_bid_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_bid_attempts_project_id'))

    op.drop_table('late_bid_attempts')
    with op.batch_alter_table('clarifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clarifications_published_at'))
        batch_op.drop_index(batch_op.f('ix_clarifications_project_id'))
        batch_op.drop_index(batch_op.f('ix_clarifications_organization_id'))

    op.drop_table('clarifications')
    op.drop_table('procurement_settings')
    op.drop_table('project_number_counters')
