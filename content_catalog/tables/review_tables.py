"""The loss reviews reps write when a deal closes lost, the modules they say were used, and each
org's list of loss reasons (docs/analytics.md, "Loss reviews")."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean, DateTime, ForeignKey, ForeignKeyConstraint, Integer, String, Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class LossReasonRow(Base):
    """One reason an org's reps may give for a lost deal. An org without rows uses the built-in
    defaults; a reason the admin removes is kept ``retired``, so older reviews still name it."""

    __tablename__ = "loss_reasons"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    #: Stable, made from the first label ("lost_to_a_competitor"); what reviews store.
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class LossReviewRow(Base):
    """A lost deal's review: where it stalled, why, and what content was missing. One per org and
    opportunity; its author (the deal's owner) may edit it. Aggregates never read ``author_id``."""

    __tablename__ = "loss_reviews"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    opportunity_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    author_id: Mapped[str | None] = mapped_column(String(18))
    #: The org's stage name where the deal stalled.
    stalled_stage: Mapped[str] = mapped_column(String(255))
    reason_key: Mapped[str] = mapped_column(String(40))
    #: What content would have helped, in the rep's words ('' for nothing); at most 1,000 chars.
    missing: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LossReviewModuleRow(Base):
    """A module the review says was used on the deal (prefilled from the panel's log)."""

    __tablename__ = "loss_review_modules"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "opportunity_id"], ["loss_reviews.org_id", "loss_reviews.opportunity_id"],
            ondelete="CASCADE",
        ),
    )

    org_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
