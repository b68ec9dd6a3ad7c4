"""The people behind deals, as Salesforce (or the demo org) last said: users, roles, meetings on
opportunities, and the admin's region mapping. Design: docs/design/content_catalog.md."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content_catalog.module_rows import utc
from content_catalog.tables.base import utcnow
from content_catalog.tables.people_tables import (
    MeetingRow, RegionMappingRow, SyncedRoleRow, SyncedUserRow,
)

_UPSERTING_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_IDS_PER_QUERY = 500
#: What a region mapping's key names: a ``UserRole`` Id, or a partner ``Account`` Id.
REGION_KINDS = ("role", "partner_account")
REGION_NAME_MAX = 80


@dataclass(frozen=True)
class SyncedUser:
    """A Salesforce ``User`` (Ids in their 18-character form)."""

    user_id: str
    name: str
    user_type: str = "Standard"
    is_partner: bool = False
    role_id: str | None = None
    manager_id: str | None = None
    partner_account_id: str | None = None
    partner_account_name: str | None = None
    active: bool = True
    modified_at: datetime | None = None


@dataclass(frozen=True)
class SalesRole:
    """A Salesforce ``UserRole``: one node of the role hierarchy."""

    role_id: str
    name: str
    parent_role_id: str | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True)
class Meeting:
    """A Salesforce ``Event`` whose ``WhatId`` is an opportunity."""

    event_id: str
    opportunity_id: str
    starts_at: datetime
    owner_id: str | None = None
    ends_at: datetime | None = None
    modified_at: datetime | None = None


@dataclass(frozen=True)
class RegionMapping:
    """The admin's word: this role, or this partner account, belongs to ``region``."""

    kind: str
    key: str
    region: str


class InvalidRegionMapping(ValueError):
    pass


class PeopleStore:
    """One org's synced users, roles and meetings, and its region mapping. Writes join the
    caller's transaction; the caller commits."""

    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    # -- users and roles -------------------------------------------------------------------------
    def save_users(self, users: Sequence[SyncedUser]) -> int:
        """Insert or replace each user (the last of repeats wins); returns how many."""
        latest = {u.user_id: u for u in users}
        now = utcnow()
        rows = [dict(org_id=self.org_id, user_id=u.user_id, name=u.name, user_type=u.user_type,
                     is_partner=u.is_partner, role_id=u.role_id, manager_id=u.manager_id,
                     partner_account_id=u.partner_account_id,
                     partner_account_name=u.partner_account_name, active=u.active,
                     modified_at=u.modified_at, synced_at=now)
                for _, u in sorted(latest.items())]
        return self._upsert(SyncedUserRow, ("user_id",), rows)

    def save_roles(self, roles: Sequence[SalesRole]) -> int:
        latest = {r.role_id: r for r in roles}
        now = utcnow()
        rows = [dict(org_id=self.org_id, role_id=r.role_id, name=r.name,
                     parent_role_id=r.parent_role_id, modified_at=r.modified_at, synced_at=now)
                for _, r in sorted(latest.items())]
        return self._upsert(SyncedRoleRow, ("role_id",), rows)

    def forget_roles(self, role_ids: Iterable[str]) -> int:
        """Drop roles Salesforce no longer has (a full sync finds them missing)."""
        return self._delete(SyncedRoleRow, SyncedRoleRow.role_id, role_ids)

    def users(self) -> list[SyncedUser]:
        rows = self.session.scalars(select(SyncedUserRow).where(
            SyncedUserRow.org_id == self.org_id).order_by(SyncedUserRow.user_id))
        return [_user(row) for row in rows]

    def roles(self) -> list[SalesRole]:
        rows = self.session.scalars(select(SyncedRoleRow).where(
            SyncedRoleRow.org_id == self.org_id).order_by(SyncedRoleRow.role_id))
        return [SalesRole(r.role_id, r.name, r.parent_role_id, utc(r.modified_at)) for r in rows]

    # -- meetings --------------------------------------------------------------------------------
    def save_meetings(self, meetings: Sequence[Meeting]) -> int:
        latest = {m.event_id: m for m in meetings}
        now = utcnow()
        rows = [dict(org_id=self.org_id, event_id=m.event_id, opportunity_id=m.opportunity_id,
                     owner_id=m.owner_id, starts_at=m.starts_at, ends_at=m.ends_at,
                     modified_at=m.modified_at, synced_at=now)
                for _, m in sorted(latest.items())]
        return self._upsert(MeetingRow, ("event_id",), rows)

    def forget_meetings(self, event_ids: Iterable[str]) -> int:
        """Drop meetings deleted in Salesforce or moved off an opportunity."""
        return self._delete(MeetingRow, MeetingRow.event_id, event_ids)

    def meetings(self, *, since: datetime | None = None, until: datetime | None = None,
                 opportunity_ids: Iterable[str] | None = None) -> list[Meeting]:
        """The org's meetings starting in [since, until), oldest first; only on the given
        opportunities when named."""
        query = select(MeetingRow).where(MeetingRow.org_id == self.org_id)
        if since is not None:
            query = query.where(MeetingRow.starts_at >= since)
        if until is not None:
            query = query.where(MeetingRow.starts_at < until)
        query = query.order_by(MeetingRow.starts_at, MeetingRow.event_id)
        if opportunity_ids is None:
            return [_meeting(row) for row in self.session.scalars(query)]
        ids = sorted(set(opportunity_ids))
        found: list[Meeting] = []
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start:start + _IDS_PER_QUERY]
            found.extend(_meeting(row) for row in self.session.scalars(
                query.where(MeetingRow.opportunity_id.in_(chunk))))
        return sorted(found, key=lambda m: (m.starts_at, m.event_id))

    # -- watermarks ------------------------------------------------------------------------------
    def last_modified(self, what: str) -> datetime | None:
        """The newest LastModifiedDate stored of ``what`` ("users", "roles" or "meetings"), from
        which an incremental sync asks again."""
        column = {"users": SyncedUserRow, "roles": SyncedRoleRow, "meetings": MeetingRow}[what]
        newest = self.session.scalar(select(func.max(column.modified_at)).where(
            column.org_id == self.org_id))
        return utc(newest)

    # -- region mapping --------------------------------------------------------------------------
    def region_mappings(self) -> list[RegionMapping]:
        rows = self.session.scalars(select(RegionMappingRow).where(
            RegionMappingRow.org_id == self.org_id).order_by(RegionMappingRow.kind,
                                                             RegionMappingRow.key))
        return [RegionMapping(r.kind, r.key, r.region) for r in rows]

    def put_region(self, mapping: RegionMapping) -> None:
        """Map a role or partner account (its Id checked by the caller) to a region."""
        region = " ".join(str(mapping.region).split())
        if mapping.kind not in REGION_KINDS:
            raise InvalidRegionMapping(f"kind must be one of {', '.join(REGION_KINDS)}")
        if not region or len(region) > REGION_NAME_MAX:
            raise InvalidRegionMapping(f"a region is 1 to {REGION_NAME_MAX} characters")
        row = self.session.get(RegionMappingRow, (self.org_id, mapping.kind, mapping.key))
        if row is None:
            row = RegionMappingRow(org_id=self.org_id, kind=mapping.kind, key=mapping.key)
            self.session.add(row)
        row.region, row.updated_at = region, utcnow()
        self.session.flush()

    def remove_region(self, kind: str, key: str) -> bool:
        row = self.session.get(RegionMappingRow, (self.org_id, kind, key))
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    # -- helpers ---------------------------------------------------------------------------------
    def _upsert(self, row_type: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        table = row_type.__table__
        insert = _UPSERTING_INSERT[self.session.get_bind().dialect.name](table)
        index = ("org_id", *keys)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c[k] for k in index],
            set_={c: insert.excluded[c] for c in rows[0] if c not in index},
        )
        self.session.execute(statement, rows)
        return len(rows)

    def _delete(self, row_type: Any, column: Any, ids: Iterable[str]) -> int:
        wanted = sorted(set(ids))
        gone = 0
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            result = self.session.execute(delete(row_type).where(
                row_type.org_id == self.org_id, column.in_(wanted[start:start + _IDS_PER_QUERY])))
            gone += result.rowcount or 0
        return gone


def _user(row: SyncedUserRow) -> SyncedUser:
    return SyncedUser(
        user_id=row.user_id, name=row.name, user_type=row.user_type, is_partner=row.is_partner,
        role_id=row.role_id, manager_id=row.manager_id, partner_account_id=row.partner_account_id,
        partner_account_name=row.partner_account_name, active=row.active,
        modified_at=utc(row.modified_at),
    )


def _meeting(row: MeetingRow) -> Meeting:
    return Meeting(event_id=row.event_id, opportunity_id=row.opportunity_id,
                   starts_at=utc(row.starts_at), owner_id=row.owner_id, ends_at=utc(row.ends_at),
                   modified_at=utc(row.modified_at))


__all__ = [
    "InvalidRegionMapping", "Meeting", "PeopleStore", "REGION_KINDS", "REGION_NAME_MAX",
    "RegionMapping", "SalesRole", "SyncedUser",
]
