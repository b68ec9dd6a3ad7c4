"""The tables of what Salesforce records about each deal beyond its outcome: its stage history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class OpportunityStageHistoryRow(Base):
    """One row of Salesforce's ``OpportunityHistory``: from ``created_at`` on, the deal was in
    ``stage`` (with that amount and close date). Rows are never edited in Salesforce, so a sync
    only adds; ``created_at`` is the watermark the next sync reads from."""

    __tablename__ = "opportunity_stage_history"
    __table_args__ = (
        Index("ix_opportunity_stage_history_org_created", "org_id", "created_at"),
        Index("ix_opportunity_stage_history_org_opportunity", "org_id", "opportunity_id"),
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    #: The OpportunityHistory record's Id (prefix 008).
    history_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(18))
    stage: Mapped[str] = mapped_column(String(255))
    amount: Mapped[float | None] = mapped_column(Numeric(18, 2))
    close_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
