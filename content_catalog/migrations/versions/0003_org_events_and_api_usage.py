"""org events and api usage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:01:40.784389
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_api_usage',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('limit', sa.Integer(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_table('org_events',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('org_events', schema=None) as batch_op:
        batch_op.create_index('ix_org_events_org_at', ['org_id', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('org_events', schema=None) as batch_op:
        batch_op.drop_index('ix_org_events_org_at')

    op.drop_table('org_events')
    op.drop_table('org_api_usage')
