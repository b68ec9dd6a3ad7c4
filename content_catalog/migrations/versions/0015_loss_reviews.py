"""loss reviews

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 13:00:00.000000

A lost deal's review (stage, reason, content used and missing), each org's loss reasons, and an
index that finds what one opportunity's panel showed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'loss_reasons',
        sa.Column('org_id', sa.String(length=18), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('retired', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', 'key'),
    )
    op.create_table(
        'loss_reviews',
        sa.Column('org_id', sa.String(length=18), nullable=False),
        sa.Column('opportunity_id', sa.String(length=18), nullable=False),
        sa.Column('author_id', sa.String(length=18), nullable=True),
        sa.Column('stalled_stage', sa.String(length=255), nullable=False),
        sa.Column('reason_key', sa.String(length=40), nullable=False),
        sa.Column('missing', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', 'opportunity_id'),
    )
    op.create_table(
        'loss_review_modules',
        sa.Column('org_id', sa.String(length=18), nullable=False),
        sa.Column('opportunity_id', sa.String(length=18), nullable=False),
        sa.Column('module_key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['org_id', 'opportunity_id'],
                                ['loss_reviews.org_id', 'loss_reviews.opportunity_id'],
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', 'opportunity_id', 'module_key'),
    )
    op.create_index('ix_panel_impressions_org_opportunity', 'panel_impressions',
                    ['org_id', 'opportunity_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_panel_impressions_org_opportunity', table_name='panel_impressions')
    op.drop_table('loss_review_modules')
    op.drop_table('loss_reviews')
    op.drop_table('loss_reasons')
