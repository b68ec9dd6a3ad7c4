"""impressions by deal and time

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:10:00.000000

A lost deal's review reads the newest 500 impressions of its deal on every panel view: with the
time in the index the database reads those 500 in order instead of sorting all of the deal's
impressions, which grow with every view. The old (org, opportunity) index is a prefix of the
new one, so it goes.
"""
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_panel_impressions_org_opportunity_shown', 'panel_impressions',
                    ['org_id', 'opportunity_id', 'shown_at'], unique=False)
    op.drop_index('ix_panel_impressions_org_opportunity', table_name='panel_impressions')


def downgrade() -> None:
    op.create_index('ix_panel_impressions_org_opportunity', 'panel_impressions',
                    ['org_id', 'opportunity_id'], unique=False)
    op.drop_index('ix_panel_impressions_org_opportunity_shown', table_name='panel_impressions')
