"""The content analytics roll-ups: per day, segment and module, what the panel showed and reps
did, so the analytics pages read aggregates, not every impression (docs/analytics.md)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base

#: Segment values as long as a CRM picklist value may be.
VALUE_LENGTH = 255


class _Counts:
    """The additive counts every roll-up row carries."""

    impressions: Mapped[int] = mapped_column(Integer)
    explored: Mapped[int] = mapped_column(Integer)
    opens: Mapped[int] = mapped_column(Integer)
    helpful_votes: Mapped[int] = mapped_column(Integer)
    unhelpful_votes: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer)
    #: Impressions voted helpful or used (the learner's label).
    rewarded: Mapped[int] = mapped_column(Integer)
    #: Distinct panel views (one view is shown at one moment, so views add up across days).
    views: Mapped[int] = mapped_column(Integer)


class AnalyticsRollupRow(Base):
    """How far one org's roll-ups reach: impressions shown in ``[starts_at, covered_until)``
    are in them, as their events were at ``built_at``."""

    __tablename__ = "analytics_rollups"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    covered_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: JSON list of ISO days: the first days of the windows the pages may ask for while this
    #: roll-up is in use (its day and the week after), where the deal tallies' buckets start.
    window_starts: Mapped[str] = mapped_column(Text)


class AnalyticsDailyActivityRow(_Counts, Base):
    """All modules together, per day and segment value (``kind`` ``all`` with value '' is the
    whole org; '' is also "not set" within a segment)."""

    __tablename__ = "analytics_daily_activity"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class AnalyticsDailyModuleRow(_Counts, Base):
    """One module per day and segment value."""

    __tablename__ = "analytics_daily_modules"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class AnalyticsDealTallyRow(Base):
    """How many closed deals one module was shown in (within a segment value), by the bucket of
    the last day it was shown there, of the last day a rep used it there, and by outcome (as at
    the roll-up). Buckets are cut at the first days of the windows the pages may ask for while
    the roll-up is in use, so "shown in the window" is ``shown_bucket >= the window's``."""

    __tablename__ = "analytics_deal_tallies"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    shown_bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: -1: never used.
    used_bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    won: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    deals: Mapped[int] = mapped_column(Integer)


class AnalyticsOpportunityRow(Base):
    """One opportunity within a segment value: the last day it was shown, its outcome at the
    roll-up, and per module the last days shown and used (JSON). The pages read it for the few
    opportunities shown since the roll-up, or whose outcome changed since."""

    __tablename__ = "analytics_opportunities"
    __table_args__ = (
        Index("ix_analytics_opportunities_org_kind_opportunity", "org_id", "kind",
              "opportunity_id"),
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(VALUE_LENGTH), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    last_shown_day: Mapped[date] = mapped_column(Date)
    #: None: no outcome at the roll-up.
    won: Mapped[bool | None] = mapped_column(Boolean)
    #: ``{module: [last shown day, last used day or null]}``, days in ISO format.
    modules: Mapped[str] = mapped_column(Text)
