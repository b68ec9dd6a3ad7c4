"""The configured orgs as the running service sees them, rebuilt when any org's settings change."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy.exc
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.org_settings import settings_version
from content_catalog.taxonomy import Taxonomy
from plugin.orgs.health_events import PersistedHealth
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, local_writes
from plugin.orgs.stage_phases import org_taxonomy
from plugin.crm.adapters import adapter
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.connector import OrgNotConfigured, SalesforceConnector
from plugin.crm.salesforce.breakers import BreakerStore, InProcessBreakers
from plugin.crm.salesforce.context_cache import ContextCache
from plugin.crm.salesforce.framing import frame_ancestor_origins
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrgsSnapshot:
    """The configured orgs at one moment, with the connector built for them. A request takes one
    snapshot and asks it everything, so it checks the settings version once."""

    version: tuple
    connector: SalesforceConnector
    #: The Salesforce orgs (the connector's).
    orgs: dict[str, ConfiguredOrg]
    #: The demo org, once connected: mapped like any org, read from its bundled records.
    demo_orgs: dict[str, ConfiguredOrg] = field(default_factory=dict)
    _taxonomies: dict[str, Taxonomy] = field(default_factory=dict, compare=False, repr=False)

    def org(self, org_id: str) -> ConfiguredOrg:
        try:
            return self.orgs[self.connector.connection(org_id).org_id]
        except KeyError:
            raise OrgNotConfigured(org_id) from None

    def frame_ancestors(self, org_id: str) -> tuple[str, ...]:
        """The origins allowed to frame this org's panel: its Salesforce hosts plus extras."""
        org = self.org(org_id)
        return tuple(dict.fromkeys(frame_ancestor_origins(org.connection.instance_url) + org.extra_frame_ancestors))

    def taxonomy(self, org_id: str, base: Taxonomy) -> Taxonomy:
        """``base`` with the org's own mapping; ``base`` itself for an org not configured here.
        ``base`` is the service's one default taxonomy, so the org Id alone keys the cache."""
        try:
            org_id = to_18(org_id, prefix="00D")
        except InvalidSalesforceId:
            return base
        cached = self._taxonomies.get(org_id)
        if cached is None:
            org = self.orgs.get(org_id) or self.demo_orgs.get(org_id)
            cached = org_taxonomy(base, None if org is None else org.mapping)
            self._taxonomies[org_id] = cached
        return cached

    def demo_connection(self) -> OrgConnection | None:
        """The demo org's stored connection (its field mapping), if it is connected."""
        demo = self.demo_orgs.get(DEMO_ORG_ID)
        return None if demo is None else demo.connection

    def all_frame_ancestors(self) -> tuple[str, ...]:
        origins: dict[str, None] = {}
        for org_id in self.orgs:
            origins.update(dict.fromkeys(self.frame_ancestors(org_id)))
        return tuple(origins)


#: How long a process serves its org settings before asking the database whether another process
#: changed them: a panel view then costs no statement for them, and an admin's change made in
#: another process reaches this one within this time (its own changes at once).
SETTINGS_RECHECK_S = 1.0


class LiveOrgs:
    def __init__(self, sessions: sessionmaker[Session], store: OrgConnections, cache: ContextCache,
                 breakers: BreakerStore | None = None, *, recheck_s: float = SETTINGS_RECHECK_S,
                 clock: Callable[[], float] = time.monotonic):
        self._recheck_s = recheck_s
        self._clock = clock
        #: (clock reading, this process's write count) when the version was last checked.
        self._checked: tuple[float, int] | None = None
        self._sessions = sessions
        self._store = store
        self._cache = cache
        #: Each org's API-limit breaker: shared by every connector this process builds, and
        #: with Redis by every process.
        self._breakers = breakers if breakers is not None else InProcessBreakers()
        self._snapshot: OrgsSnapshot | None = None
        self._lock = threading.Lock()

    def current(self) -> OrgsSnapshot:
        """The orgs as configured now; while the database is unreachable, the last snapshot this
        process built (settings rarely change, and a rep's panel must not wait for them)."""
        now, writes = self._clock(), local_writes()
        checked, snapshot = self._checked, self._snapshot
        if (snapshot is not None and checked is not None and checked[1] == writes
                and now - checked[0] < self._recheck_s):
            return snapshot
        try:
            with self._sessions() as session:
                version = settings_version(session)
        except sqlalchemy.exc.OperationalError:
            if self._snapshot is None:
                raise
            log.warning("database unreachable: serving the org settings last read")
            return self._snapshot
        self._checked = (now, writes)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                orgs = {org_id: self._store.get(org_id) for org_id, _, _ in self._store.names()}
                demo = {k: v for k, v in orgs.items() if v is not None and v.is_demo}
                orgs = {k: v for k, v in orgs.items() if v is not None and not v.is_demo}
                connector = adapter("salesforce").build_connector(
                    [o.connection for o in orgs.values()], cache=self._cache,
                    listener=PersistedHealth(self._sessions), breakers=self._breakers,
                )
                self._snapshot = OrgsSnapshot(version, connector, orgs, demo)
            return self._snapshot
