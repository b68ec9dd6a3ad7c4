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
from plugin.crm.salesforce.soql import OptionalPart, context_fields, opportunity_context_query

log = logging.getLogger(__name__)

UNAVAILABLE_NOTICE = "Salesforce data unavailable, showing general suggestions"
DEFAULT_RETRY_BACKOFF = 0.5
# A quoted API name, not the apostrophe in "Didn't understand relationship 'X'".
_QUOTED_NAME = re.compile(r"(?<![A-Za-z0-9])'([A-Za-z0-9_]+)'")
_WORD = re.compile(r"[A-Za-z0-9_]+")
_CONTACT_ROLE_NAMES = {"opportunitycontactroles", "opportunitycontactrole", "contact"}
#: Names distinctive enough to count even unquoted ("unexpected token: OpportunityContactRoles");
#: "Contact" alone counts only when quoted, as a name.
_CONTACT_ROLE_WORDS = {"opportunitycontactroles", "opportunitycontactrole"}
CACHE_DOWN_NOTICE = ("Be Inspired's cache is unavailable, so this panel could not read the "
                     "opportunity again; showing general suggestions")
OPENED_WITHOUT_DATA_NOTICE = ("Salesforce data was unavailable when this panel opened, showing "
                              "general suggestions")


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
                 retry_backoff: float = DEFAULT_RETRY_BACKOFF,
                 opened_without_data: bool = False):
        self.connection = connection
        self.org_id = connection.org_id
        self.client = client or SalesforceClient(connection, canvas_session=canvas_session)
        self.cache = cache if cache is not None else InProcessContextCache()
        self.health = health or OrgHealth(connection.org_id)
        self.sleep = sleep
        self.retry_backoff = retry_backoff
        canvas = connection.auth_mode is AuthMode.CANVAS
        self._viewer = (canvas_session.user_id if canvas_session else viewer) if canvas else None
        self._opened_without_data = opened_without_data and canvas_session is None
        #: A panel's later call (app token): it has no Salesforce session, only the cache.
        self._later_call = canvas and canvas_session is None and viewer is not None

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
            answer, degradations, selected = self._query(record_id)
            row = _single_row(answer)
        except CanvasSessionExpired:
            if self._opened_without_data:
                # Not an expired session: the panel was shown without the record's data, so
                # there is nothing cached to read; say that, not "reload".
                raise SourceUnavailable(OPENED_WITHOUT_DATA_NOTICE, stage=None) from None
            if self._later_call and not self.cache.reachable():
                # Not an expired session either: the cache holding the panel's context is down
                # (another process may have fetched it); reloading would not help.
                raise SourceUnavailable(CACHE_DOWN_NOTICE, stage=None) from None
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
        missing = _missing_fields(row, selected)
        if missing:
            self.health.note_missing(missing)
            degradations += (f"left out of Salesforce's answer: {', '.join(missing)}",)
            record = dataclasses.replace(record, problems=record.problems + degradations[-1:])
        self.cache.put(key, row, degradations)
        return ContextFetch(record=record, degradations=degradations,
                            api_calls=self.client.api_calls - calls_before)

    # The retry policy ----------------------------------------------------------------------
    @property
    def _policy(self) -> CallPolicy:
        return CallPolicy(self.client, self.health, self.sleep, self.retry_backoff)

    def _query(self, record_id: str) -> tuple[dict[str, Any], tuple[str, ...], list[str]]:
        """(answer, degradations, the field paths selected: the subquery as
        ``OpportunityContactRoles``)."""
        left_out = self.health.degraded_parts()
        attempts, degraded = Attempts(), False  # one retry and one login for the whole read
        while True:
            shape = {"challenge_field": self.connection.challenge_field,
                     "industry_field": self.connection.industry_field,
                     "extra_fields": self.connection.extra_fields,
                     "without": frozenset(left_out)}
            soql = opportunity_context_query(record_id, **shape)
            try:
                answer = self._policy.call(lambda: self.client.query(soql), attempts)
                selected = context_fields(**shape)
                if OptionalPart.CONTACT_ROLES not in left_out:
                    selected.append("OpportunityContactRoles")
                return answer, tuple(f"{part.value} left out: {why}"
                                     for part, why in left_out.items()), selected
            except QueryRejected as exc:
                part = self._part_named_in(exc, left_out)
                if degraded or part is None:
                    raise
                degraded = True
                left_out[part] = exc.error_code or "rejected"
                self.health.degrade(part, left_out[part], detail=exc.explanation())


    def _part_named_in(self, exc: QueryRejected, left_out: dict) -> OptionalPart | None:
        """The optional part Salesforce's message names, judged from the quoted names after its
        echo of the query (the echo quotes only the record Id). None for anything else: a
        missing core field is not guessed around."""
        explanation = exc.detail.rsplit("ERROR at Row", 1)[-1]
        quoted = {name.lower() for name in _QUOTED_NAME.findall(explanation)}
        words = {word.lower() for word in _WORD.findall(explanation)}
        connection = self.connection
        mapped = [connection.industry_field, *connection.extra_fields]
        # A configured field is a custom API name (Customer_Challenge__c): named, quoted or not.
        parts = (
            (OptionalPart.CHALLENGE_FIELD, _field_names([connection.challenge_field]),
             _field_names([connection.challenge_field])),
            (OptionalPart.MAPPED_FIELDS, _field_names(mapped), _custom_names(mapped)),
            (OptionalPart.CONTACT_ROLES, _CONTACT_ROLE_NAMES, _CONTACT_ROLE_WORDS),
        )
        for part, names_quoted, names_bare in parts:
            if (quoted & names_quoted or words & names_bare) and part not in left_out:
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


def _missing_fields(row: dict[str, Any], selected: list[str]) -> tuple[str, ...]:
    """The selected paths whose key is absent from the answer (a null value is an answer; so is a
    null ``Account``, which leaves nothing under it to check). Salesforce spells keys as the
    field's API name, which may differ in case from the configured path."""
    keys = {str(k).casefold() for k in row}
    account = next((v for k, v in row.items() if str(k).casefold() == "account"), None)
    account_keys = {str(k).casefold() for k in account} if isinstance(account, dict) else None
    missing = []
    for path in selected:
        prefix, dot, name = path.rpartition(".")
        if not dot:
            if name.casefold() not in keys:
                missing.append(path)
        elif "account" in keys and account_keys is not None and name.casefold() not in account_keys:
            missing.append(path)
        elif "account" not in keys:
            missing.append(path)
    return tuple(missing)


def _custom_names(paths: list[str | None]) -> set[str]:
    """The custom ones (``__c``) among :func:`_field_names`: distinctive even unquoted."""
    return {name for name in _field_names(paths) if name.endswith("__c")}


def _single_row(answer: dict[str, Any]) -> dict[str, Any] | None:
    records = answer.get("records")
    if not isinstance(records, list) or (records and not isinstance(records[0], dict)):
        raise UnexpectedResponse("the query answer has no records list")
    return records[0] if records else None


__all__ = ["ContextFetch", "SalesforceOpportunitySource", "UNAVAILABLE_NOTICE"]
