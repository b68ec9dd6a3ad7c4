"""opportunity stage history

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('opportunity_stage_history',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('history_id', sa.String(length=18), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=False),
    sa.Column('stage', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'history_id')
    )
    op.create_index('ix_opportunity_stage_history_org_created', 'opportunity_stage_history',
                    ['org_id', 'created_at'], unique=False)
    op.create_index('ix_opportunity_stage_history_org_opportunity', 'opportunity_stage_history',
                    ['org_id', 'opportunity_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_opportunity_stage_history_org_opportunity',
                  table_name='opportunity_stage_history')
    op.drop_index('ix_opportunity_stage_history_org_created',
                  table_name='opportunity_stage_history')
    op.drop_table('opportunity_stage_history')
