"""SQLAlchemy 2.0 tables. Every row that holds an org's data carries that org's Id."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    Boolean,
    LargeBinary,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


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


# -- who may do what (plugin/role_mappings.py, plugin/access/user_sessions.py, plugin/access/api_tokens.py) --
class RoleMappingRow(Base):
    """An org's rule "this Salesforce user / permission set / profile has this role".

    ``subject_kind`` is ``user``, ``permission_set`` or ``profile``; ``subject_id`` the 18-character
    Id of that user (005…), permission set (0PS…) or profile (00e…).
    """

    __tablename__ = "role_mappings"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UserSessionRow(Base):
    """A signed-in person's server-side session. ``id`` is the SHA-256 of the cookie's random
    token, so a copy of this table signs nobody in."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_org_user", "org_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiTokenRow(Base):
    """A personal API token for automation, scoped to one org and one role. Only the SHA-256 of
    the secret is kept; ``prefix`` is the part shown again in lists so people can tell tokens
    apart."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
        Index("ix_api_tokens_org", "org_id"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- what the panel showed and what reps did with it (content_catalog/events.py) ----------------
class PanelImpressionRow(Base):
    """One suggestion shown to a rep: which module, where in which list, with what score and
    probability, chosen by which model for which context. The server writes it when it renders
    the panel; ``impression_id`` (random, 128 bits) is what the panel's events point at."""

    __tablename__ = "panel_impressions"
    __table_args__ = (
        Index("ix_panel_impressions_org_shown", "org_id", "shown_at"),
        Index("ix_panel_impressions_org_module_shown", "org_id", "module_key", "shown_at"),
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


class PanelEventRow(Base):
    """Something a rep did with a suggestion (opened, personalised, copied, downloaded, shared,
    voted helpful or not). ``event_id`` is the panel's own id for it, unique per org, so a batch
    sent again is written once."""

    __tablename__ = "panel_events"
    __table_args__ = (
        UniqueConstraint("org_id", "event_id", name="uq_panel_events_org_event"),
        Index("ix_panel_events_org_impression", "org_id", "impression_id"),
        Index("ix_panel_events_org_received", "org_id", "received_at"),
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
    """A trained learned ranker for one org: its bytes (the service's own pickle, never uploaded
    by anyone), what it was trained on, and whether it is the one the panel serves. Versions are
    kept, so an admin can roll back to an earlier one."""

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
