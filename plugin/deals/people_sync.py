"""Users and roles from Salesforce (or the demo org) into the people store.
Design: docs/design/deals.md."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from content_catalog.people_store import PeopleStore, SalesRole, SyncedUser
from content_catalog.repository import ensure_org
from plugin.crm.demo_org import DEMO_ORG_ID, DEMO_ORG_NAME, DemoOrg
from plugin.crm.salesforce.people_json import BadPeopleRecord, parse_role, parse_user

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeopleSyncReport:
    org_id: str
    #: "demo", "incremental" or "full".
    mode: str
    users: int = 0
    roles: int = 0
    #: (record label, reason) of the rows not saved.
    skipped: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error:
            return f"people sync failed: {self.error}; nothing was saved"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"{self.mode} people sync: {self.users} users and {self.roles} roles saved{skipped}"


def parse_people(user_rows: list[Any], role_rows: list[Any], now: datetime
                 ) -> tuple[list[SyncedUser], list[SalesRole], tuple[tuple[str, str], ...]]:
    """The rows that parse, and (label, reason) for the others."""
    users, roles, skipped = [], [], []
    for kind, rows, parse, into in (("user", user_rows, parse_user, users),
                                    ("role", role_rows, parse_role, roles)):
        for index, row in enumerate(rows):
            try:
                into.append(parse(row, now=now))
            except BadPeopleRecord as exc:
                skipped.append((f"{kind} {index + 1}", str(exc)))
    return users, roles, tuple(skipped)


def store_people(session: Session, org_id: str, users: list[SyncedUser],
                 roles: list[SalesRole], *, whole_hierarchy: bool) -> tuple[int, int]:
    """Save users and roles in the caller's transaction; with ``whole_hierarchy`` (the roles
    are every role the org has) drop the stored roles not among them."""
    store = PeopleStore(session, org_id)
    if whole_hierarchy:
        kept = {r.role_id for r in roles}
        store.forget_roles(r.role_id for r in store.roles() if r.role_id not in kept)
    return store.save_users(users), store.save_roles(roles)


class PeopleSync:
    """Syncs an org's users and roles; the demo org's from its bundled records."""

    def __init__(self, sessions: sessionmaker[Session], demo_org: DemoOrg | None = None):
        self._sessions = sessions
        self._demo_org = demo_org

    def sync_demo(self, now: datetime | None = None) -> PeopleSyncReport:
        demo = self._demo_org or DemoOrg()
        now = now or datetime.now(timezone.utc)
        users, roles, skipped = parse_people(demo.user_records(), demo.role_records(), now)
        with self._sessions.begin() as session:
            ensure_org(session, DEMO_ORG_ID, DEMO_ORG_NAME, is_demo=True)
            saved = store_people(session, DEMO_ORG_ID, users, roles, whole_hierarchy=True)
        return PeopleSyncReport(DEMO_ORG_ID, "demo", *saved, skipped=skipped)


__all__ = ["PeopleSync", "PeopleSyncReport", "parse_people", "store_people"]
