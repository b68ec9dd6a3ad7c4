"""Per-org connection settings, stored as the service hands them over (JSON and ciphertext)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content_catalog.tables.catalog_tables import Org

from content_catalog.tables.org_tables import OrgConnectionRow
from content_catalog.repository import ensure_org


@dataclass(frozen=True)
class StoredSettings:
    org_id: str
    name: str
    settings: str
    secrets: str
    updated_at: datetime


class OrgSettingsRepository:
    def __init__(self, session: Session):
        self.session = session

    def put(self, org_id: str, name: str, settings: str, secrets: str) -> None:
        org = ensure_org(self.session, org_id, name)
        org.name = name
        row = self.session.get(OrgConnectionRow, org_id)
        if row is None:
            row = OrgConnectionRow(org_id=org_id)
            self.session.add(row)
        row.settings, row.secrets, row.updated_at = settings, secrets, datetime.now(timezone.utc)
        self.session.flush()

    def get(self, org_id: str) -> StoredSettings | None:
        row = self.session.get(OrgConnectionRow, org_id)
        return None if row is None else self._stored(row)

    def all(self) -> list[StoredSettings]:
        rows = self.session.scalars(select(OrgConnectionRow).order_by(OrgConnectionRow.org_id))
        return [self._stored(row) for row in rows]

    def delete(self, org_id: str) -> bool:
        row = self.session.get(OrgConnectionRow, org_id)
        if row is None:
            return False
        self.session.delete(row)
        self.session.flush()
        return True

    def _stored(self, row: OrgConnectionRow) -> StoredSettings:
        org = self.session.get(Org, row.org_id)
        return StoredSettings(row.org_id, org.name if org else row.org_id, row.settings, row.secrets, row.updated_at)


def settings_version(session: Session) -> tuple[int, datetime | None]:
    """Changes whenever any org's settings do: (count, last update)."""
    count, latest = session.execute(
        select(func.count(), func.max(OrgConnectionRow.updated_at)).select_from(OrgConnectionRow)
    ).one()
    return count, latest
