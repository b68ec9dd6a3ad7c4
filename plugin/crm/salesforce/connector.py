"""The Salesforce connector as the web layer sees it: configured orgs in, sources and status out."""
from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable, Iterable

from plugin.crm.salesforce.breakers import BreakerStore, InProcessBreakers
from plugin.crm.salesforce.framing import frame_ancestor_origins
from plugin.crm.salesforce.signed_request import CanvasRequest, ForeignInstance
from plugin.crm.salesforce.client import CanvasSession
from plugin.crm.salesforce.config import AuthMode, OrgConnection
from plugin.crm.salesforce.context_cache import ContextCache, InProcessContextCache
from plugin.crm.salesforce.health import (
    DEFAULT_BREAKER_SECONDS,
    HealthListener,
    OrgHealth,
    OrgStatus,
)
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.live_source import DEFAULT_RETRY_BACKOFF, SalesforceOpportunitySource


class OrgNotConfigured(LookupError):
    def __init__(self, org_id: object):
        self.org_id = str(org_id)[:40]
        super().__init__(f"org {self.org_id} is not configured")


class SalesforceConnector:
    def __init__(self, connections: Iterable[OrgConnection], *, cache: ContextCache | None = None,
                 breaker_seconds: float = DEFAULT_BREAKER_SECONDS,
                 retry_backoff: float = DEFAULT_RETRY_BACKOFF,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 listener: HealthListener | None = None,
                 breakers: BreakerStore | None = None):
        self._connections = {c.org_id: c for c in connections}
        self.cache = cache if cache is not None else InProcessContextCache(clock=clock)
        #: Outlives this connector when passed in (rebuilt connectors keep an open breaker).
        breakers = breakers if breakers is not None else InProcessBreakers(clock)
        self._health = {org: OrgHealth(org, clock=clock, breaker_seconds=breaker_seconds,
                                       listener=listener, breakers=breakers)
                        for org in self._connections}
        self._retry_backoff = retry_backoff
        self._sleep = sleep
        self._sources: dict[str, SalesforceOpportunitySource] = {}
        self._lock = threading.Lock()

    @property
    def org_ids(self) -> tuple[str, ...]:
        return tuple(self._connections)

    def connection(self, org_id: str) -> OrgConnection:
        try:
            return self._connections[to_18(org_id, prefix="00D")]
        except (InvalidSalesforceId, KeyError):
            raise OrgNotConfigured(org_id) from None

    def canvas_secret(self, org_id: str) -> str | None:
        """For :func:`~plugin.crm.salesforce.signed_request.verify_signed_request`: None for unknown orgs."""
        try:
            return self.connection(org_id).canvas_secret
        except OrgNotConfigured:
            return None

    def source(self, org_id: str, *, canvas: CanvasRequest | None = None,
               viewer: str | None = None,
               opened_without_data: bool = False) -> SalesforceOpportunitySource:
        """The source to fetch ``org_id``'s opportunities with.

        For a Canvas-mode org pass the verified ``canvas`` request on the Canvas POST; on later
        calls (app token only) pass ``viewer`` (the token's user Id): fresh cached contexts are
        still served, and a cache miss raises
        :class:`~plugin.crm.salesforce.exceptions.CanvasSessionExpired`, or, when the panel
        that token came with was shown without the record's data (``opened_without_data``),
        :class:`~plugin.crm.sources.SourceUnavailable` saying so: reloading would not help.
        A Canvas request whose ``instanceUrl`` is not the org's raises
        :class:`~plugin.crm.salesforce.signed_request.ForeignInstance`.
        """
        connection = self.connection(org_id)
        if canvas is not None and canvas.org_id != connection.org_id:
            raise ValueError("the Canvas request belongs to another org")
        if canvas is not None and canvas.instance_url != connection.instance_url \
                and canvas.instance_url not in frame_ancestor_origins(connection.instance_url):
            raise ForeignInstance("client.instanceUrl is not this org's Salesforce instance")
        if canvas is not None or viewer is not None:
            # Inside Canvas (and on the panel's later calls) Salesforce is read as the viewing
            # user, whatever credentials the org also has: their sharing and field-level
            # security apply. The integration user is for background jobs and connection tests.
            connection = dataclasses.replace(connection, credentials=None)
        if connection.auth_mode is AuthMode.CANVAS:
            session = (CanvasSession(canvas.oauth_token, canvas.instance_url, canvas.user_id)
                       if canvas is not None else None)
            return self._build(connection, canvas_session=session, viewer=viewer,
                               opened_without_data=opened_without_data)
        with self._lock:
            if connection.org_id not in self._sources:
                self._sources[connection.org_id] = self._build(connection)
            return self._sources[connection.org_id]

    def status(self, org_id: str) -> OrgStatus:
        return self._health[self.connection(org_id).org_id].status()

    def statuses(self) -> list[OrgStatus]:
        return [health.status() for health in self._health.values()]

    def _build(self, connection: OrgConnection, **kwargs: object) -> SalesforceOpportunitySource:
        return SalesforceOpportunitySource(
            connection, cache=self.cache, health=self._health[connection.org_id],
            sleep=self._sleep, retry_backoff=self._retry_backoff,
            **kwargs,  # type: ignore[arg-type]
        )


__all__ = ["OrgNotConfigured", "SalesforceConnector"]
