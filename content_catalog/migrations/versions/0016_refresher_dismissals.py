"""refresher dismissals

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 13:00:00.000000

Training refreshers a rep dismissed for good, and an index to read one rep's uses (spaced
refreshers, docs/learning.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'refresher_dismissals',
        sa.Column('org_id', sa.String(length=18), nullable=False),
        sa.Column('user_id', sa.String(length=18), nullable=False),
        sa.Column('module_key', sa.String(length=64), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', 'user_id', 'module_key'),
    )
    op.create_index('ix_panel_events_org_user', 'panel_events', ['org_id', 'user_id', 'pk'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_panel_events_org_user', table_name='panel_events')
    op.drop_table('refresher_dismissals')
