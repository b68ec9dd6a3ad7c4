"""The tables of connected orgs: their settings and encrypted secrets, their events for admins,
and their Salesforce API usage."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class OrgConnectionRow(Base):
    """How the service reaches an org. ``settings`` is plain JSON; ``secrets`` is ciphertext that
    only the service (holding a key kept outside this database) can read. The catalog stores both
    without interpreting them."""

    __tablename__ = "org_connections"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    settings: Mapped[str] = mapped_column(Text)
    secrets: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrgEventRow(Base):
    """Something an org's admins must hear about: API limit reached, part of a query left out."""

    __tablename__ = "org_events"
    __table_args__ = (Index("ix_org_events_org_at", "org_id", "at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(1000))


class OrgApiUsageRow(Base):
    """The org's daily API usage as Salesforce last reported it (``Sforce-Limit-Info``)."""

    __tablename__ = "org_api_usage"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    used: Mapped[int] = mapped_column(Integer)
    limit: Mapped[int] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
