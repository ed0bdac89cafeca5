"""organisations: credit code, the verified eligibility facts, the reason of a refusal, evidence documents

A verified organisation's ``verified_facts`` are its facts as they stand: what
``Organization.current_facts()`` gives (the credit code is new, so empty).

Revision ID: 0010_eligibility_facts
Revises: 0009_sessions
Create Date: 2026-12-06 10:30:00.000000

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_eligibility_facts'
down_revision = '0009_sessions'
branch_labels = None
depends_on = None

# The tables as this revision finds them (the models may have moved on since).
organizations = sa.table('organizations', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('kind', sa.String),
                         sa.column('registration_date', sa.Date), sa.column('full_time_staff', sa.Integer),
                         sa.column('office_area_m2', sa.Integer), sa.column('rating_grade', sa.Integer),
                         sa.column('home_street_id', sa.Integer), sa.column('serves_whole_district', sa.Boolean),
                         sa.column('verification_state', sa.String), sa.column('credit_code', sa.String),
                         sa.column('verified_facts', sa.JSON))
organization_categories = sa.table('organization_categories', sa.column('organization_id', sa.Integer),
                                   sa.column('category_id', sa.Integer))
organization_service_streets = sa.table('organization_service_streets', sa.column('organization_id', sa.Integer),
                                        sa.column('street_id', sa.Integer))


def upgrade():
    op.create_table('organization_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_documents_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_organization_documents_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_organization_documents_stored_name'))
    )
    with op.batch_alter_table('organization_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organization_documents_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_code', sa.String(length=18), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('verified_facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('verification_note', sa.Text(), nullable=False, server_default=''))

    _snapshot_verified_facts(op.get_bind())

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('credit_code', existing_type=sa.String(length=18), existing_nullable=False,
                              server_default=None)
        batch_op.alter_column('verification_note', existing_type=sa.Text(), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('verification_note')
        batch_op.drop_column('verified_facts')
        batch_op.drop_column('credit_code')

    with op.batch_alter_table('organization_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_documents_organization_id'))

    op.drop_table('organization_documents')


def _snapshot_verified_facts(connection):
    """What ``Organization.current_facts()`` gives for every verified organisation."""
    verified = list(connection.execute(sa.select(organizations).where(organizations.c.verification_state == 'verified')
                                       .order_by(organizations.c.id)))
    if not verified:
        return
    categories, streets = defaultdict(list), defaultdict(list)
    for org_id, category_id in connection.execute(sa.select(organization_categories)):
        categories[org_id].append(category_id)
    for org_id, street_id in connection.execute(sa.select(organization_service_streets)):
        streets[org_id].append(street_id)
    connection.execute(
        organizations.update().where(organizations.c.id == sa.bindparam('org')).values(verified_facts=sa.bindparam('facts', type_=sa.JSON)),
        [{'org': org.id, 'facts': {
            'name': org.name,
            'kind': org.kind,
            'credit_code': org.credit_code or '',
            'registration_date': org.registration_date.isoformat() if org.registration_date else None,
            'full_time_staff': org.full_time_staff,
            'office_area_m2': org.office_area_m2,
            'rating_grade': org.rating_grade,
            'home_street_id': org.home_street_id,
            'serves_whole_district': bool(org.serves_whole_district),
            'service_street_ids': sorted(streets[org.id]),
            'category_ids': sorted(categories[org.id]),
        }} for org in verified])
