"""initial catalog schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:37:00.024111
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orgs',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('catalog_revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_table('content_modules',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=2000), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('review_by', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk'),
    sa.UniqueConstraint('org_id', 'module_key', name='uq_content_modules_org_key')
    )
    with op.batch_alter_table('content_modules', schema=None) as batch_op:
        batch_op.create_index('ix_content_modules_org_status', ['org_id', 'status'], unique=False)

    op.create_table('unknown_crm_values',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('dimension', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('times_seen', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'dimension', 'value')
    )
    op.create_table('module_tags',
    sa.Column('module_pk', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_pk'], ['content_modules.pk'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('module_pk', 'dimension', 'value')
    )
    with op.batch_alter_table('module_tags', schema=None) as batch_op:
        batch_op.create_index('ix_module_tags_dimension_value', ['dimension', 'value'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('module_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_module_tags_dimension_value')

    op.drop_table('module_tags')
    op.drop_table('unknown_crm_values')
    with op.batch_alter_table('content_modules', schema=None) as batch_op:
        batch_op.drop_index('ix_content_modules_org_status')

    op.drop_table('content_modules')
    op.drop_table('orgs')
