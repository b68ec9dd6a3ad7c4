"""waiting panel events

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00.000000

Events whose impression is still queued in another process's recorder wait here until it lands
(docs/events.md).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'waiting_panel_events',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org_id', sa.String(length=18), nullable=False),
        sa.Column('event_id', sa.String(length=32), nullable=False),
        sa.Column('impression_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('user_id', sa.String(length=18), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('has_token', sa.Boolean(), nullable=False),
        sa.Column('token_record_id', sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('org_id', 'event_id', name='uq_waiting_panel_events_org_event'),
    )
    op.create_index('ix_waiting_panel_events_impression', 'waiting_panel_events',
                    ['impression_id'], unique=False)
    op.create_index('ix_waiting_panel_events_received', 'waiting_panel_events',
                    ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_waiting_panel_events_received', table_name='waiting_panel_events')
    op.drop_index('ix_waiting_panel_events_impression', table_name='waiting_panel_events')
    op.drop_table('waiting_panel_events')
