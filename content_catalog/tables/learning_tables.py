"""The tables learning reads and writes: what the panel showed, what reps did, how deals closed,
and the trained rankers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class PanelImpressionRow(Base):
    """One suggestion shown to a rep: which module, where in which list, with what score and
    probability, chosen by which model for which context. The server writes it when it renders
    the panel; ``impression_id`` (random, 128 bits) is what the panel's events point at."""

    __tablename__ = "panel_impressions"
    __table_args__ = (
        Index("ix_panel_impressions_org_shown", "org_id", "shown_at"),
        Index("ix_panel_impressions_org_module_shown", "org_id", "module_key", "shown_at"),
        # A lost deal's review reads the newest of what its panel showed (migration 0018).
        Index("ix_panel_impressions_org_opportunity_shown", "org_id", "opportunity_id",
              "shown_at"),
    )

    impression_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    #: Shared by the impressions of one panel view: the slate a rep saw at once.
    view_id: Mapped[str] = mapped_column(String(32))
    #: None for a context posted to the API without a record.
    opportunity_id: Mapped[str | None] = mapped_column(String(18))
    user_id: Mapped[str | None] = mapped_column(String(18))
    module_key: Mapped[str] = mapped_column(String(64))
    #: The list it was shown in: ``client_facing`` or ``internal``.
    audience: Mapped[str] = mapped_column(String(20))
    #: 1-based, within its own list, as the rep saw it.
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    propensity: Mapped[float] = mapped_column(Float)
    explored: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version: Mapped[str] = mapped_column(String(64))
    #: The recommender's OpportunityContext as JSON, so training can rebuild its features.
    context: Mapped[str] = mapped_column(Text)
    shown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: How the rep came to see it: ``suggestions`` (the ranker chose it) or ``search`` (the rep
    #: searched the panel for it), so learning and analytics can tell the two apart.
    origin: Mapped[str] = mapped_column(String(12), default="suggestions",
                                        server_default="suggestions")
    #: What the rep searched for (``search`` only), as the panel normalised it.
    search_text: Mapped[str | None] = mapped_column(String(100))


class PanelEventRow(Base):
    """Something a rep did with a suggestion (opened, personalised, copied, downloaded, shared,
    voted helpful or not). ``event_id`` is the panel's own id for it, unique per org, so a batch
    sent again is written once."""

    __tablename__ = "panel_events"
    __table_args__ = (
        UniqueConstraint("org_id", "event_id", name="uq_panel_events_org_event"),
        Index("ix_panel_events_org_impression", "org_id", "impression_id"),
        Index("ix_panel_events_org_received", "org_id", "received_at"),
        # One rep's uses, and their latest event's pk in one index step (spaced refreshers,
        # migration 0016).
        Index("ix_panel_events_org_user", "org_id", "user_id", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32))
    impression_id: Mapped[str] = mapped_column(
        ForeignKey("panel_impressions.impression_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    #: Who sent it (the app token's user, or the demo user).
    user_id: Mapped[str | None] = mapped_column(String(18))
    #: When the rep did it, by the browser's clock (the time it was received when not sent).
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WaitingPanelEventRow(Base):
    """An event whose impression was not stored yet when it arrived: most likely still queued
    in the recorder of the process that showed the panel. Moved to ``panel_events`` once that
    impression lands (if shown on ``token_record_id`` when ``has_token``); kept for a bounded
    time only (``plugin.panel.feedback_events.WAIT_SECONDS``)."""

    __tablename__ = "waiting_panel_events"
    __table_args__ = (
        UniqueConstraint("org_id", "event_id", name="uq_waiting_panel_events_org_event"),
        Index("ix_waiting_panel_events_impression", "impression_id"),
        Index("ix_waiting_panel_events_received", "received_at"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32))
    #: No foreign key: the impression is what this row waits for.
    impression_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    user_id: Mapped[str | None] = mapped_column(String(18))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The sender's app token was for this record (checked against the impression on arrival).
    has_token: Mapped[bool] = mapped_column(Boolean)
    token_record_id: Mapped[str | None] = mapped_column(String(18))


class DealOutcomeRow(Base):
    """How an opportunity ended, as Salesforce last said: the win/loss label that analytics and
    training join to the impressions shown on that opportunity. One row per org and opportunity,
    replaced by each sync (an opportunity reopened in Salesforce is deleted here)."""

    __tablename__ = "deal_outcomes"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    opportunity_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    won: Mapped[bool] = mapped_column(Boolean)
    #: The opportunity's Amount in its currency; None when Salesforce has none.
    amount: Mapped[float | None] = mapped_column(Numeric(18, 2))
    close_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(255))
    #: Salesforce's LastModifiedDate, so a sync can ask only for what changed since.
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RankerModelRow(Base):
    """A trained learned ranker for one org: its bytes (recommender.model_format: arrays and JSON,
    nothing that runs code when loaded), what it was trained on, and whether it is the one the
    panel serves. Versions are kept, so an admin can roll back to an earlier one."""

    __tablename__ = "ranker_models"
    __table_args__ = (
        UniqueConstraint("org_id", "version", name="uq_ranker_models_org_version"),
        Index("ix_ranker_models_org_active", "org_id", "active"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    #: 1, 2, 3 ... per org, in training order.
    version: Mapped[int] = mapped_column(Integer)
    #: The model's own id (``LearnedRanker.model_version_``), logged with every impression.
    model_id: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The catalog revision it was trained against.
    catalog_revision: Mapped[int] = mapped_column(Integer)
    n_impressions: Mapped[int] = mapped_column(Integer)
    #: JSON: training window, offline metrics, parameters.
    summary: Mapped[str] = mapped_column(Text, default="{}")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    #: Exactly one version per org is active at a time (or none: the panel serves v1).
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class RefresherDismissalRow(Base):
    """A training refresher a rep dismissed for good: it is never brought back to them again
    (``recommender.refreshers``). Written once per org, rep and module; never undone."""

    __tablename__ = "refresher_dismissals"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    module_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    dismissed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
