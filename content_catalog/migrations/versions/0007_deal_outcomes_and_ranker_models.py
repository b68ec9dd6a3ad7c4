"""deal outcomes and ranker models

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deal_outcomes',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=False),
    sa.Column('won', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('stage', sa.String(length=255), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'opportunity_id')
    )
    op.create_table('ranker_models',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('catalog_revision', sa.Integer(), nullable=False),
    sa.Column('n_impressions', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('org_id', 'version', name='uq_ranker_models_org_version')
    )
    with op.batch_alter_table('ranker_models', schema=None) as batch_op:
        batch_op.create_index('ix_ranker_models_org_active', ['org_id', 'active'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ranker_models', schema=None) as batch_op:
        batch_op.drop_index('ix_ranker_models_org_active')

    op.drop_table('ranker_models')
    op.drop_table('deal_outcomes')
