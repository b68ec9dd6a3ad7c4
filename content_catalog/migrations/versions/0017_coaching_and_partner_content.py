"""coaching and partner content

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('content_modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_partners', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table('manager_recommendations',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=False),
    sa.Column('rep_id', sa.String(length=18), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('manager_id', sa.String(length=18), nullable=False),
    sa.Column('manager_name', sa.String(length=121), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('manager_recommendations', schema=None) as batch_op:
        batch_op.create_index('ix_manager_recommendations_org_deal_rep',
                              ['org_id', 'opportunity_id', 'rep_id'], unique=False)
        batch_op.create_index('ix_manager_recommendations_org_manager',
                              ['org_id', 'manager_id', 'created_at'], unique=False)
    op.create_table('recommendation_revisions',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id')
    )


def downgrade() -> None:
    op.drop_table('recommendation_revisions')
    with op.batch_alter_table('manager_recommendations', schema=None) as batch_op:
        batch_op.drop_index('ix_manager_recommendations_org_manager')
        batch_op.drop_index('ix_manager_recommendations_org_deal_rep')
    op.drop_table('manager_recommendations')
    with op.batch_alter_table('content_modules', schema=None) as batch_op:
        batch_op.drop_column('for_partners')
