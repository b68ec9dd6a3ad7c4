"""The tables of coaching: modules a manager recommended to a rep on one deal, and per org the
counter that tells panels those recommendations changed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class ManagerRecommendationRow(Base):
    """A module a manager recommended to a rep for one opportunity, shown first in that rep's
    panel on that deal until the rep dismisses it."""

    __tablename__ = "manager_recommendations"
    __table_args__ = (
        Index("ix_manager_recommendations_org_deal_rep", "org_id", "opportunity_id", "rep_id"),
        Index("ix_manager_recommendations_org_manager", "org_id", "manager_id", "created_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    opportunity_id: Mapped[str] = mapped_column(String(18))
    rep_id: Mapped[str] = mapped_column(String(18))
    module_key: Mapped[str] = mapped_column(String(64))
    manager_id: Mapped[str] = mapped_column(String(18))
    manager_name: Mapped[str] = mapped_column(String(121))
    #: Why the manager recommends it, in their words (at most ``NOTE_MAX_CHARS``); may be empty.
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: First time the rep used it from the panel (open, personalise, copy, download, share).
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecommendationRevisionRow(Base):
    """Bumped by every change to an org's recommendations; read with the panel's one warm
    statement, so a panel re-reads the org's open recommendations only when it moved."""

    __tablename__ = "recommendation_revisions"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"),
                                        primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
