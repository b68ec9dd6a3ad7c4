"""What happened on an org's connection, kept for its admins: events and the last API usage."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from content_catalog.tables.org_tables import OrgApiUsageRow, OrgEventRow

#: Events older than this are dropped as new ones arrive.
EVENT_RETENTION = timedelta(days=90)


class OrgActivityRepository:
    def __init__(self, session: Session, org_id: str):
        self.session = session
        self.org_id = org_id

    def add_event(self, kind: str, message: str, at: datetime) -> None:
        self.session.add(OrgEventRow(org_id=self.org_id, kind=kind[:40], message=message[:1000], at=at))
        # Not synchronised with rows loaded in this session: SQLite hands back naive times, which
        # the ORM's in-Python evaluation of ``at < cutoff`` cannot compare; nothing reads them after.
        self.session.execute(
            delete(OrgEventRow).where(OrgEventRow.org_id == self.org_id, OrgEventRow.at < at - EVENT_RETENTION),
            execution_options={"synchronize_session": False},
        )
        self.session.flush()

    def recent_events(self, limit: int = 20) -> list[OrgEventRow]:
        query = (
            select(OrgEventRow)
            .where(OrgEventRow.org_id == self.org_id)
            .order_by(OrgEventRow.at.desc(), OrgEventRow.pk.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def last_event(self, kinds: Iterable[str]) -> OrgEventRow | None:
        """The newest event of any of ``kinds``, however many other events came after it."""
        query = (
            select(OrgEventRow)
            .where(OrgEventRow.org_id == self.org_id, OrgEventRow.kind.in_(list(kinds)))
            .order_by(OrgEventRow.at.desc(), OrgEventRow.pk.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def set_usage(self, used: int, limit: int, at: datetime | None = None) -> None:
        row = self.session.get(OrgApiUsageRow, self.org_id)
        if row is None:
            row = OrgApiUsageRow(org_id=self.org_id)
            self.session.add(row)
        row.used, row.limit, row.reported_at = used, limit, at or datetime.now(timezone.utc)
        self.session.flush()

    def usage(self) -> OrgApiUsageRow | None:
        return self.session.get(OrgApiUsageRow, self.org_id)
