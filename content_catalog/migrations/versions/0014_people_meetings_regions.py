"""people, meetings and regions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('synced_users',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('user_id', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('user_type', sa.String(length=40), nullable=False),
    sa.Column('is_partner', sa.Boolean(), nullable=False),
    sa.Column('role_id', sa.String(length=18), nullable=True),
    sa.Column('manager_id', sa.String(length=18), nullable=True),
    sa.Column('partner_account_id', sa.String(length=18), nullable=True),
    sa.Column('partner_account_name', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'user_id')
    )
    with op.batch_alter_table('synced_users', schema=None) as batch_op:
        batch_op.create_index('ix_synced_users_org_manager', ['org_id', 'manager_id'], unique=False)

    op.create_table('synced_roles',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('role_id', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('parent_role_id', sa.String(length=18), nullable=True),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'role_id')
    )
    op.create_table('deal_meetings',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('event_id', sa.String(length=18), nullable=False),
    sa.Column('opportunity_id', sa.String(length=18), nullable=False),
    sa.Column('owner_id', sa.String(length=18), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'event_id')
    )
    with op.batch_alter_table('deal_meetings', schema=None) as batch_op:
        batch_op.create_index('ix_deal_meetings_org_opportunity', ['org_id', 'opportunity_id'], unique=False)
        batch_op.create_index('ix_deal_meetings_org_starts', ['org_id', 'starts_at'], unique=False)

    op.create_table('region_mappings',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=18), nullable=False),
    sa.Column('region', sa.String(length=80), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'kind', 'key')
    )


def downgrade() -> None:
    op.drop_table('region_mappings')
    with op.batch_alter_table('deal_meetings', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_meetings_org_starts')
        batch_op.drop_index('ix_deal_meetings_org_opportunity')

    op.drop_table('deal_meetings')
    op.drop_table('synced_roles')
    with op.batch_alter_table('synced_users', schema=None) as batch_op:
        batch_op.drop_index('ix_synced_users_org_manager')

    op.drop_table('synced_users')
