"""panel impressions and events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:12:51.643721
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('panel_impressions',
    sa.Column('impression_id', sa.String(length=32), nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('view_id', sa.String(length=32), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=True),
    sa.Column('user_id', sa.String(length=18), nullable=True),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('propensity', sa.Float(), nullable=False),
    sa.Column('explored', sa.Boolean(), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('shown_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('impression_id')
    )
    with op.batch_alter_table('panel_impressions', schema=None) as batch_op:
        batch_op.create_index('ix_panel_impressions_org_module_shown', ['org_id', 'module_key', 'shown_at'], unique=False)
        batch_op.create_index('ix_panel_impressions_org_shown', ['org_id', 'shown_at'], unique=False)

    op.create_table('panel_events',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('impression_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('user_id', sa.String(length=18), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['impression_id'], ['panel_impressions.impression_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('org_id', 'event_id', name='uq_panel_events_org_event')
    )
    with op.batch_alter_table('panel_events', schema=None) as batch_op:
        batch_op.create_index('ix_panel_events_org_impression', ['org_id', 'impression_id'], unique=False)
        batch_op.create_index('ix_panel_events_org_received', ['org_id', 'received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('panel_events', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_events_org_received')
        batch_op.drop_index('ix_panel_events_org_impression')

    op.drop_table('panel_events')
    with op.batch_alter_table('panel_impressions', schema=None) as batch_op:
        batch_op.drop_index('ix_panel_impressions_org_shown')
        batch_op.drop_index('ix_panel_impressions_org_module_shown')

    op.drop_table('panel_impressions')
