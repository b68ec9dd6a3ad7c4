"""analytics rollups

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_daily_activity',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.Column('explored', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('helpful_votes', sa.Integer(), nullable=False),
    sa.Column('unhelpful_votes', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('rewarded', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kind', 'value', 'day')
    )
    op.create_table('analytics_daily_modules',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.Column('explored', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('helpful_votes', sa.Integer(), nullable=False),
    sa.Column('unhelpful_votes', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('rewarded', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kind', 'value', 'module_key', 'day')
    )
    op.create_table('analytics_deal_tallies',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('shown_bucket', sa.Integer(), nullable=False),
    sa.Column('used_bucket', sa.Integer(), nullable=False),
    sa.Column('won', sa.Boolean(), nullable=False),
    sa.Column('deals', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kind', 'value', 'module_key', 'shown_bucket', 'used_bucket', 'won')
    )
    op.create_table('analytics_opportunities',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=False),
    sa.Column('last_shown_day', sa.Date(), nullable=False),
    sa.Column('won', sa.Boolean(), nullable=True),
    sa.Column('modules', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kind', 'value', 'opportunity_id')
    )
    with op.batch_alter_table('analytics_opportunities', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_opportunities_org_kind_opportunity', ['org_id', 'kind', 'opportunity_id'], unique=False)

    op.create_table('analytics_rollups',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('covered_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_starts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id')
    )


def downgrade() -> None:
    op.drop_table('analytics_rollups')
    with op.batch_alter_table('analytics_opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_opportunities_org_kind_opportunity')

    op.drop_table('analytics_opportunities')
    op.drop_table('analytics_deal_tallies')
    op.drop_table('analytics_daily_modules')
    op.drop_table('analytics_daily_activity')
