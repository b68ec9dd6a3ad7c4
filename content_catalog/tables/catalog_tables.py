"""The catalog's tables: orgs, content modules with their tags, versions and audit log, the
suggestion counts, the CRM values the taxonomy did not know, and import files waiting for their
confirmation."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content_catalog.tables.base import Base, utcnow


class Org(Base):
    """A Salesforce org (or the bundled demo org) that this deployment serves."""

    __tablename__ = "orgs"

    org_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(default=False)
    #: Bumped by every catalog write, so rankers know when their snapshot is stale.
    catalog_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModuleRow(Base):
    __tablename__ = "content_modules"
    __table_args__ = (
        UniqueConstraint("org_id", "module_key", name="uq_content_modules_org_key"),
        Index("ix_content_modules_org_status", "org_id", "status"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    module_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    review_by: Mapped[date | None] = mapped_column(Date)
    #: Partner users (Salesforce ``UserType`` PowerPartner) see only modules marked so.
    for_partners: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tags: Mapped[list["ModuleTagRow"]] = relationship(
        back_populates="module", cascade="all, delete-orphan", lazy="selectin", order_by="ModuleTagRow.position"
    )


class ModuleTagRow(Base):
    """One tag value of a module; a dimension with no rows means "any"."""

    __tablename__ = "module_tags"
    __table_args__ = (Index("ix_module_tags_dimension_value", "dimension", "value"),)

    module_pk: Mapped[int] = mapped_column(
        ForeignKey("content_modules.pk", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    module: Mapped[ModuleRow] = relationship(back_populates="tags")


class UnknownValueRow(Base):
    """A picklist value a CRM sent that the taxonomy does not know: kept for admins to map."""

    __tablename__ = "unknown_crm_values"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModuleVersionRow(Base):
    """One saved state of a module: what a person saved, when and as whom.

    Keyed by module key rather than the module's row, so the history outlives a module being
    re-created under the same key and an export can name versions without internal ids. The
    primary key doubles as a last guard against two saves claiming the same version number.
    """

    __tablename__ = "module_versions"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``module_to_dict`` of the module as saved, as JSON.
    snapshot: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))


class AuditLogRow(Base):
    """Who did what to an org's catalog, newest last; one row per saved version."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_at", "org_id", "at"),
        Index("ix_audit_log_org_module", "org_id", "module_key"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    module_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(500), default="")


class ModuleStatsRow(Base):
    """How often the panel has suggested a module, so admins can find content nobody sees."""

    __tablename__ = "module_stats"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    times_suggested: Mapped[int] = mapped_column(Integer, default=0)
    last_suggested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StagedImportRow(Base):
    """An uploaded import file between its dry run and its confirmation, in the database so that
    any web process on any machine can confirm it. Named by the SHA-256 of its random token."""

    __tablename__ = "staged_imports"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(18))
    user_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Epoch seconds: expiry is a plain comparison on every backend.
    saved_at: Mapped[float] = mapped_column(Float, index=True)
