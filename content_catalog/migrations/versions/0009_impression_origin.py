"""impression origin

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('panel_impressions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=12), nullable=False,
                                      server_default='suggestions'))
        batch_op.add_column(sa.Column('search_text', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('panel_impressions', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('origin')
