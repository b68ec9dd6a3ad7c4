"""The service's :class:`~plugin.crm.salesforce.health.HealthListener`: persists what admins must
hear about (API limit reached, parts of the query left out, failures) and the org's API usage,
so ``beinspired org status`` and the admin console's status page show it from any process."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.org_activity import OrgActivityRepository
from plugin.crm.salesforce.client import ApiUsage
from plugin.crm.salesforce.health import OrgEvent


class PersistedHealth:
    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions

    def on_event(self, org_id: str, event: OrgEvent) -> None:
        with self._sessions.begin() as session:
            OrgActivityRepository(session, org_id).add_event(
                event.kind, event.message, datetime.fromtimestamp(event.at, timezone.utc)
            )

    def on_usage(self, org_id: str, usage: ApiUsage, api_calls: int) -> None:
        with self._sessions.begin() as session:
            OrgActivityRepository(session, org_id).set_usage(usage.used, usage.limit)
