"""org connections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:50:42.812878
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_connections',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id')
    )


def downgrade() -> None:
    op.drop_table('org_connections')
