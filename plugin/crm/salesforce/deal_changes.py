"""How opportunities stand now, read from Salesforce for the deal-outcome sync."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable, Mapping

from simple_salesforce import format_soql

from content_catalog.deal_outcomes import DealOutcome
from plugin.crm.salesforce.call_policy import CallPolicy
from plugin.crm.salesforce.client import SalesforceClient
from plugin.crm.salesforce.exceptions import UnexpectedResponse
from plugin.crm.salesforce.health import OrgHealth
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

DEAL_FIELDS = ("Id", "IsClosed", "IsWon", "Amount", "CloseDate", "StageName", "LastModifiedDate")
#: Salesforce pages at 2,000 rows; this many pages is far beyond any org, and stops a loop.
MAX_PAGES = 10_000
#: ``deal_outcomes.amount`` is NUMERIC(18, 2).
_AMOUNT_LIMIT = 10 ** 16
#: A LastModifiedDate further ahead than this is refused: it would hold the watermark in the
#: future and hide every later change.
_FUTURE_TOLERANCE = timedelta(days=1)
_STAGE_LENGTH = 255


class BadDealRecord(ValueError):
    """One row that cannot be read; the sync skips it and reports ``str(exc)``."""


class BreakerOpen(RuntimeError):
    """The org hit its API limit recently; the sync does not call Salesforce until it resets."""


@dataclass(frozen=True)
class DealState:
    """One opportunity as Salesforce says it stands: closed with an outcome, or open."""

    opportunity_id: str
    outcome: DealOutcome | None

    @property
    def closed(self) -> bool:
        return self.outcome is not None


def deal_changes_query(since: datetime | None) -> str:
    """Opportunities modified at or after ``since`` (open ones too, so a reopened deal is seen),
    or, without ``since``, every closed one.

    ``>=``, not ``>``: Salesforce stamps LastModifiedDate to the second, and ``format_soql``
    drops the fraction of ours, so ``>`` could miss a deal changed in the same second as the
    newest one we hold. Reading that boundary again is harmless.
    """
    fields = ", ".join(DEAL_FIELDS)
    if since is None:
        return format_soql("SELECT {:literal} FROM Opportunity WHERE IsClosed = {}", fields, True)
    return format_soql("SELECT {:literal} FROM Opportunity WHERE LastModifiedDate >= {}",
                       fields, since)


def parse_deal_state(row: object, *, now: datetime) -> DealState:
    """A row of :func:`deal_changes_query`'s answer, or :class:`BadDealRecord`."""
    if not isinstance(row, Mapping):
        raise BadDealRecord("the record is not an object")
    try:
        opportunity_id = to_18(row.get("Id"), prefix="006")
    except InvalidSalesforceId:
        raise BadDealRecord("Id is not an opportunity Id") from None
    if not _boolean(row, "IsClosed"):
        return DealState(opportunity_id, None)
    stage = row.get("StageName")
    if not isinstance(stage, str) or not stage.strip():
        raise BadDealRecord("StageName is missing")
    return DealState(opportunity_id, DealOutcome(
        opportunity_id=opportunity_id,
        won=_boolean(row, "IsWon"),
        stage=stage.strip()[:_STAGE_LENGTH],
        amount=_amount(row.get("Amount")),
        close_date=_close_date(row.get("CloseDate")),
        modified_at=_modified_at(row.get("LastModifiedDate"), now),
    ))


def read_deal_changes(client: SalesforceClient, health: OrgHealth, soql: str, *,
                      sleep: Callable[[float], None] = time.sleep,
                      retry_backoff: float = 0.5) -> list[Any]:
    """Every row of every page of ``soql``'s answer, or a
    :class:`~plugin.crm.salesforce.exceptions.SalesforceApiError` / :class:`BreakerOpen`."""
    policy = CallPolicy(client, health, sleep, retry_backoff)

    def ask(request: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """One page: never while the breaker is open, then with a retry and a login of its own."""
        if health.breaker_open():
            raise BreakerOpen("the org's API limit was reached earlier; not calling Salesforce")
        return policy.call(request)

    page = ask(lambda: client.query(soql))
    rows = list(_records(page))
    seen: set[str] = set()
    while page.get("done") is not True:
        locator = page.get("nextRecordsUrl")
        if not isinstance(locator, str) or locator in seen or len(seen) >= MAX_PAGES:
            raise UnexpectedResponse("the query answer's pages do not lead to an end")
        seen.add(locator)
        page = ask(lambda: client.query_more(locator))
        rows.extend(_records(page))
    return rows


def _records(page: dict[str, Any]) -> list[Any]:
    records = page.get("records")
    if not isinstance(records, list):
        raise UnexpectedResponse("the query answer has no records list")
    return records


def _boolean(row: Mapping[str, Any], name: str) -> bool:
    value = row.get(name)
    if not isinstance(value, bool):
        raise BadDealRecord(f"{name} is not true or false")
    return value


def _amount(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadDealRecord("Amount is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise BadDealRecord("Amount is not a finite number")
    if abs(value) >= _AMOUNT_LIMIT:
        raise BadDealRecord("Amount is too large")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _close_date(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadDealRecord("CloseDate is not a date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadDealRecord("CloseDate is not a date") from None


def _modified_at(value: object, now: datetime) -> datetime:
    """Salesforce writes ``2026-11-20T10:15:00.000+0000``."""
    if not isinstance(value, str):
        raise BadDealRecord("LastModifiedDate is missing")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadDealRecord("LastModifiedDate is not a date and time") from None
    if when.tzinfo is None:
        raise BadDealRecord("LastModifiedDate has no time zone")
    if when > now + _FUTURE_TOLERANCE:
        raise BadDealRecord("LastModifiedDate is in the future")
    return when


__all__ = [
    "BadDealRecord", "BreakerOpen", "DEAL_FIELDS", "DealState", "deal_changes_query",
    "parse_deal_state", "read_deal_changes",
]
