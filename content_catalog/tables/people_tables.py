"""The tables of the people behind deals, as Salesforce (or the demo org) last said: users,
roles, meetings on opportunities, and the admin's mapping of roles and partner accounts to regions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from content_catalog.tables.base import Base, utcnow


class SyncedUserRow(Base):
    """A Salesforce ``User``: who owns deals, who manages whom (``ManagerId``), which role they
    hold, and whether they are a partner user (``UserType`` PowerPartner and the like)."""

    __tablename__ = "synced_users"
    __table_args__ = (Index("ix_synced_users_org_manager", "org_id", "manager_id"),)

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"),
                                        primary_key=True)
    user_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    #: Salesforce's ``UserType`` as sent ("Standard", "PowerPartner", ...).
    user_type: Mapped[str] = mapped_column(String(40))
    is_partner: Mapped[bool] = mapped_column(Boolean)
    role_id: Mapped[str | None] = mapped_column(String(18))
    manager_id: Mapped[str | None] = mapped_column(String(18))
    #: The partner account (``Contact.AccountId``) of a partner user; None for others.
    partner_account_id: Mapped[str | None] = mapped_column(String(18))
    #: That account's name, for the admin's partner-account mapping.
    partner_account_name: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    #: Salesforce's LastModifiedDate, so a sync can ask only for what changed since.
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SyncedRoleRow(Base):
    """A Salesforce ``UserRole``: one node of the org's role hierarchy."""

    __tablename__ = "synced_roles"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"),
                                        primary_key=True)
    role_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_role_id: Mapped[str | None] = mapped_column(String(18))
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeetingRow(Base):
    """A Salesforce ``Event`` on an opportunity (``WhatId``): a meeting with the buyer."""

    __tablename__ = "deal_meetings"
    __table_args__ = (
        Index("ix_deal_meetings_org_opportunity", "org_id", "opportunity_id"),
        Index("ix_deal_meetings_org_starts", "org_id", "starts_at"),
    )

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"),
                                        primary_key=True)
    event_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    opportunity_id: Mapped[str] = mapped_column(String(18))
    owner_id: Mapped[str | None] = mapped_column(String(18))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RegionMappingRow(Base):
    """The admin's word on a region: a role (``kind`` "role", ``key`` a UserRole Id) or a
    partner account (``kind`` "partner_account", ``key`` an Account Id) belongs to ``region``."""

    __tablename__ = "region_mappings"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.org_id", ondelete="CASCADE"),
                                        primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(18), primary_key=True)
    region: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
