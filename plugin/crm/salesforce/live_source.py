"""A live Salesforce org as an :class:`~plugin.crm.sources.OpportunitySource`.

Its failure policy (retry, re-login, breaker, degraded query, stale copy): docs/design/crm.md."""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from plugin.crm.sources import OpportunityNotFound, SourceUnavailable
from plugin.crm.salesforce.call_policy import Attempts, CallPolicy
from plugin.crm.salesforce.call_policy import describe as _describe
from plugin.crm.salesforce.client import CanvasSession, SalesforceClient
from plugin.crm.salesforce.config import AuthMode, OrgConnection
from plugin.crm.salesforce.context_cache import (
    CacheKey, CachedContext, ContextCache, InProcessContextCache,
)
from plugin.crm.salesforce.exceptions import (
    AuthenticationFailed, CanvasSessionExpired, QueryRejected, SalesforceApiError,
    UnexpectedResponse,
)
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.records import OpportunityRecord
from plugin.crm.salesforce.opportunity_json import parse_opportunity
from plugin.crm.salesforce.soql import OptionalPart, opportunity_context_query

log = logging.getLogger(__name__)

UNAVAILABLE_NOTICE = "Salesforce data unavailable, showing general suggestions"
DEFAULT_RETRY_BACKOFF = 0.5
_DEGRADABLE_CODES = ("INVALID_FIELD", "INVALID_TYPE")
# A quoted API name, not the apostrophe in "Didn't understand relationship 'X'".
_QUOTED_NAME = re.compile(r"(?<![A-Za-z0-9])'([A-Za-z0-9_]+)'")
_CONTACT_ROLE_NAMES = {"opportunitycontactroles", "opportunitycontactrole", "contact"}


@dataclass(frozen=True)
class ContextFetch:
    """One fetch and how it went. ``record.problems`` also lists the degradations."""

    record: OpportunityRecord
    degradations: tuple[str, ...] = ()
    from_cache: bool = False
    stale: bool = False
    api_calls: int = 0


class SalesforceOpportunitySource:
    def __init__(self, connection: OrgConnection, *, client: SalesforceClient | None = None,
                 cache: ContextCache | None = None, health: OrgHealth | None = None,
                 canvas_session: CanvasSession | None = None, viewer: str | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 retry_backoff: float = DEFAULT_RETRY_BACKOFF):
        self.connection = connection
        self.org_id = connection.org_id
        self.client = client or SalesforceClient(connection, canvas_session=canvas_session)
        self.cache = cache if cache is not None else InProcessContextCache()
        self.health = health or OrgHealth(connection.org_id)
        self.sleep = sleep
        self.retry_backoff = retry_backoff
        canvas = connection.auth_mode is AuthMode.CANVAS
        self._viewer = (canvas_session.user_id if canvas_session else viewer) if canvas else None

    def fetch(self, opportunity_id: str) -> OpportunityRecord:
        return self.fetch_context(opportunity_id).record

    def fetch_context(self, opportunity_id: str) -> ContextFetch:
        try:
            record_id = to_18(opportunity_id, prefix="006")
        except InvalidSalesforceId:
            raise OpportunityNotFound(str(opportunity_id)[:40]) from None
        key = CacheKey(self.org_id, record_id, self._viewer)
        cached = self.cache.get(key)
        if cached is not None and not cached.stale:
            fresh = self._from_cache(cached)
            if fresh is not None:
                return fresh
        if self.health.breaker_open():
            return self._fallback(cached, "API limit reached earlier; not calling Salesforce")
        calls_before = self.client.api_calls
        try:
            answer, degradations = self._query(record_id)
            row = _single_row(answer)
        except CanvasSessionExpired:
            raise
        except AuthenticationFailed as exc:
            self.health.record("auth_failed", f"{exc.reason} {exc.error_code or ''}".strip())
            return self._fallback(cached, exc.reason)
        except SalesforceApiError as exc:
            return self._fallback(cached, _describe(exc))
        if row is None:
            self.cache.delete(key)
            raise OpportunityNotFound(record_id)
        try:
            record = self._parse(row, degradations)
        except InvalidSalesforceId:
            return self._fallback(cached, "Salesforce returned a record with an unexpected Id")
        if record.opportunity_id != record_id:
            return self._fallback(cached, "Salesforce returned a different record")
        self.cache.put(key, row, degradations)
        return ContextFetch(record=record, degradations=degradations,
                            api_calls=self.client.api_calls - calls_before)

    # The retry policy ----------------------------------------------------------------------
    @property
    def _policy(self) -> CallPolicy:
        return CallPolicy(self.client, self.health, self.sleep, self.retry_backoff)

    def _query(self, record_id: str) -> tuple[dict[str, Any], tuple[str, ...]]:
        left_out = self.health.degraded_parts()
        attempts, degraded = Attempts(), False  # one retry and one login for the whole read
        while True:
            soql = opportunity_context_query(
                record_id, challenge_field=self.connection.challenge_field,
                industry_field=self.connection.industry_field,
                extra_fields=self.connection.extra_fields, without=frozenset(left_out))
            try:
                answer = self._policy.call(lambda: self.client.query(soql), attempts)
                return answer, tuple(f"{part.value} left out: {why}"
                                     for part, why in left_out.items())
            except QueryRejected as exc:
                part = self._part_named_in(exc, left_out)
                if degraded or part is None:
                    raise
                degraded = True
                left_out[part] = exc.error_code or "rejected"
                self.health.degrade(part, left_out[part], detail=exc.detail[-200:].strip())


    def _part_named_in(self, exc: QueryRejected, left_out: dict) -> OptionalPart | None:
        """The optional part Salesforce's message names, judged from the quoted names after its
        echo of the query (the echo quotes only the record Id). None for anything else: a
        missing core field is not guessed around."""
        if exc.error_code not in _DEGRADABLE_CODES:
            return None
        explanation = exc.detail.rsplit("ERROR at Row", 1)[-1]
        names = {name.lower() for name in _QUOTED_NAME.findall(explanation)}
        connection = self.connection
        mapped = [connection.industry_field, *connection.extra_fields]
        parts = (
            (OptionalPart.CHALLENGE_FIELD, _field_names([connection.challenge_field])),
            (OptionalPart.MAPPED_FIELDS, _field_names(mapped)),
            (OptionalPart.CONTACT_ROLES, _CONTACT_ROLE_NAMES),
        )
        for part, part_names in parts:
            if names & part_names and part not in left_out:
                return part
        return None

    # Answers -------------------------------------------------------------------------------
    def _parse(self, row: dict[str, Any], degradations: tuple[str, ...],
               extra: tuple[str, ...] = ()) -> OpportunityRecord:
        record = parse_opportunity(row, challenge_field=self.connection.challenge_field,
                                   industry_field=self.connection.industry_field,
                                   extra_fields=self.connection.extra_fields)
        return dataclasses.replace(record, problems=record.problems + degradations + extra)

    def _from_cache(self, cached: CachedContext,
                    extra: tuple[str, ...] = ()) -> ContextFetch | None:
        try:
            record = self._parse(cached.record, cached.degradations, extra)
        except InvalidSalesforceId:
            return None
        return ContextFetch(record=record, degradations=cached.degradations, from_cache=True,
                            stale=cached.stale)

    def _fallback(self, cached: CachedContext | None, reason: str) -> ContextFetch:
        log.warning("Salesforce org %s: %s", self.org_id, reason)
        self.health.record("unavailable", reason)
        if cached is not None:
            when = datetime.fromtimestamp(cached.fetched_at, timezone.utc)
            note = (f"live data unavailable ({reason}); "
                    f"showing a copy from {when:%Y-%m-%d %H:%M} UTC")
            served = self._from_cache(cached, (note,))
            if served is not None:
                return dataclasses.replace(served, stale=True)
        raise SourceUnavailable(UNAVAILABLE_NOTICE, stage=None)


def _field_names(paths: list[str | None]) -> set[str]:
    """The names Salesforce quotes in an error about these fields (``'Sector__c'`` for
    ``Account.Sector__c``), lower-cased."""
    return {path.rpartition(".")[2].lower() for path in paths if path}


def _single_row(answer: dict[str, Any]) -> dict[str, Any] | None:
    records = answer.get("records")
    if not isinstance(records, list) or (records and not isinstance(records[0], dict)):
        raise UnexpectedResponse("the query answer has no records list")
    return records[0] if records else None


__all__ = ["ContextFetch", "SalesforceOpportunitySource", "UNAVAILABLE_NOTICE"]
