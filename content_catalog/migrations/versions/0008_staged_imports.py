"""staged imports

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staged_imports',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('saved_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('staged_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_imports_saved_at'), ['saved_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staged_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_imports_saved_at'))

    op.drop_table('staged_imports')
