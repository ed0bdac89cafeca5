"""panels: the expert pool, panel draws, scores, candidate notices and complaints

Revision ID: 0013_expert_panels
Revises: 0012_notification_delivery
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_expert_panels'
down_revision = '0012_notification_delivery'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_experts_organization_id_organizations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_experts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_experts_user_id'))
    )
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experts_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_experts_organization_id'), ['organization_id'], unique=False)

    op.create_table('expert_categories',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_expert_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_categories_expert_id_experts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('expert_id', 'category_id', name=op.f('pk_expert_categories'))
    )
    op.create_table('expert_employments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_expert_employments_dates_ordered')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_employments_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_expert_employments_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_employments'))
    )
    with op.batch_alter_table('expert_employments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_employments_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_employments_organization_id'), ['organization_id'], unique=False)

    op.create_table('expert_relationships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_relationships_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_expert_relationships_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_relationships'))
    )
    with op.batch_alter_table('expert_relationships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_relationships_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_relationships_organization_id'), ['organization_id'], unique=False)

    op.create_table('panel_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('eligible_ids', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('chosen_ids', sa.JSON(), nullable=False),
    sa.Column('kept_ids', sa.JSON(), nullable=False),
    sa.Column('replaced_ids', sa.JSON(), nullable=False),
    sa.Column('fallback_reason', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 1', name=op.f('ck_panel_draws_size_positive')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_panel_draws_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_panel_draws_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_draws')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_panel_draws_project_id_seq'))
    )
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_draws_project_id'), ['project_id'], unique=False)

    op.create_table('panel_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['panel_draws.id'], name=op.f('fk_panel_evaluations_draw_id_panel_draws')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_panel_evaluations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_panel_evaluations_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_evaluations')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_panel_evaluations_project_id_seq'))
    )
    with op.batch_alter_table('panel_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_evaluations_project_id'), ['project_id'], unique=False)

    op.create_table('candidate_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('panel', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['panel_evaluations.id'], name=op.f('fk_candidate_notices_evaluation_id_panel_evaluations')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_candidate_notices_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_candidate_notices_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_notices')),
    sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_candidate_notices_project_id_seq'))
    )
    with op.batch_alter_table('candidate_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_notices_project_id'), ['project_id'], unique=False)

    op.create_table('panel_bid_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_panel_bid_reasons_bid_id_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['panel_evaluations.id'], name=op.f('fk_panel_bid_reasons_evaluation_id_panel_evaluations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_bid_reasons')),
    sa.UniqueConstraint('evaluation_id', 'bid_id', name=op.f('uq_panel_bid_reasons_evaluation_id_bid_id'))
    )
    with op.batch_alter_table('panel_bid_reasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_bid_reasons_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('panel_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.CheckConstraint('criterion >= 0', name=op.f('ck_panel_scores_criterion_index')),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_panel_scores_score_range')),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_panel_scores_bid_id_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evaluation_id'], ['panel_evaluations.id'], name=op.f('fk_panel_scores_evaluation_id_panel_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_panel_scores_expert_id_experts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_scores')),
    sa.UniqueConstraint('evaluation_id', 'bid_id', 'expert_id', 'criterion', name=op.f('uq_panel_scores_evaluation_id_bid_id_expert_id_criterion'))
    )
    with op.batch_alter_table('panel_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_scores_evaluation_id'), ['evaluation_id'], unique=False)

    op.create_table('candidate_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_candidate_complaints_answered_by_id_users')),
    sa.ForeignKeyConstraint(['notice_id'], ['candidate_notices.id'], name=op.f('fk_candidate_complaints_notice_id_candidate_notices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_candidate_complaints_organization_id_organizations')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_candidate_complaints_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_complaints'))
    )
    with op.batch_alter_table('candidate_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_complaints_notice_id'), ['notice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('candidate_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_complaints_notice_id'))

    op.drop_table('candidate_complaints')
    with op.batch_alter_table('panel_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_scores_evaluation_id'))

    op.drop_table('panel_scores')
    with op.batch_alter_table('panel_bid_reasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_bid_reasons_evaluation_id'))

    op.drop_table('panel_bid_reasons')
    with op.batch_alter_table('candidate_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_notices_project_id'))

    op.drop_table('candidate_notices')
    with op.batch_alter_table('panel_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_evaluations_project_id'))

    op.drop_table('panel_evaluations')
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_draws_project_id'))

    op.drop_table('panel_draws')
    with op.batch_alter_table('expert_relationships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_relationships_organization_id'))
        batch_op.drop_index(batch_op.f('ix_expert_relationships_expert_id'))

    op.drop_table('expert_relationships')
    with op.batch_alter_table('expert_employments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_employments_organization_id'))
        batch_op.drop_index(batch_op.f('ix_expert_employments_expert_id'))

    op.drop_table('expert_employments')
    op.drop_table('expert_categories')
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experts_organization_id'))
        batch_op.drop_index(batch_op.f('ix_experts_name'))

    op.drop_table('experts')
