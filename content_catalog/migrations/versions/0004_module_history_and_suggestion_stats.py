"""module history, audit log and suggestion stats

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:07:06.441692
"""
import json
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_org_at', ['org_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_log_org_module', ['org_id', 'module_key'], unique=False)

    op.create_table('module_stats',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('times_suggested', sa.Integer(), nullable=False),
    sa.Column('last_suggested_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'module_key')
    )
    op.create_table('module_versions',
    sa.Column('org_id', sa.String(length=18), nullable=False),
    sa.Column('module_key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.org_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', 'module_key', 'version')
    )
    _record_existing_modules()


def downgrade() -> None:
    op.drop_table('module_versions')
    op.drop_table('module_stats')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_org_module')
        batch_op.drop_index('ix_audit_log_org_at')

    op.drop_table('audit_log')


# The snapshot shape of content_catalog.modules.module_to_dict as of this revision, copied on
# purpose: what this migration writes must not change when the application code does.
_DIMENSIONS = ("journey_phase", "buyer_role", "industry", "deal_stage", "challenge", "deal_size")
_FIELDS = ("title", "summary", "body", "link", "kind", "audience", "author", "status")


def _record_existing_modules() -> None:
    bind = op.get_bind()
    modules = sa.table(
        'content_modules',
        *(sa.column(name) for name in ('pk', 'org_id', 'module_key', 'version') + _FIELDS),
        sa.column('review_by', sa.Date()),
        sa.column('updated_at', sa.DateTime(timezone=True)),
    )
    tags = sa.table(
        'module_tags',
        *(sa.column(name) for name in ('module_pk', 'dimension', 'value', 'position')),
    )
    versions = sa.table(
        'module_versions',
        *(sa.column(name) for name in ('org_id', 'module_key', 'version', 'snapshot', 'status')),
        sa.column('actor'),
        sa.column('saved_at', sa.DateTime(timezone=True)),
    )
    tag_values = defaultdict(lambda: defaultdict(list))
    in_order = sa.select(tags).order_by(tags.c.module_pk, tags.c.dimension, tags.c.position)
    for tag in bind.execute(in_order):
        tag_values[tag.module_pk][tag.dimension].append(tag.value)
    rows = []
    for module in bind.execute(sa.select(modules).order_by(modules.c.pk)):
        snapshot = {"id": module.module_key, **{name: getattr(module, name) for name in _FIELDS}}
        snapshot["review_by"] = module.review_by.isoformat() if module.review_by else None
        snapshot["tags"] = {dim: tag_values[module.pk][dim] for dim in _DIMENSIONS}
        rows.append(dict(
            org_id=module.org_id, module_key=module.module_key, version=module.version,
            snapshot=json.dumps(snapshot, ensure_ascii=False), status=module.status,
            saved_at=module.updated_at, actor="before history",
        ))
    if rows:
        op.bulk_insert(versions, rows)
