"""Deals' stage histories (``OpportunityHistory``) read from Salesforce for the stage norms:
the query, and each row parsed strictly into a :class:`StageHistoryEntry` or refused."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Mapping

from simple_salesforce import format_soql

from content_catalog.opportunity_history import StageHistoryEntry
from plugin.crm.salesforce.deal_changes import BadDealRecord, _amount
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

HISTORY_FIELDS = ("Id", "OpportunityId", "StageName", "Amount", "CloseDate", "CreatedDate")
#: A CreatedDate further ahead than this is refused: it would hold the watermark in the future.
_FUTURE_TOLERANCE = timedelta(days=1)
_STAGE_LENGTH = 255


class BadHistoryRecord(BadDealRecord):
    """One OpportunityHistory row that cannot be read; the sync skips it and names it."""


def stage_history_query(since: datetime | None) -> str:
    """Every history row created at or after ``since`` (all of them without), oldest first.

    ``>=``, not ``>``: CreatedDate is stamped to the second and ``format_soql`` drops our
    fraction, so ``>`` could miss a row written in the same second as the newest one held.
    Rows read again are kept once (by Id)."""
    fields = ", ".join(HISTORY_FIELDS)
    order = " ORDER BY CreatedDate, Id"
    if since is None:
        return format_soql("SELECT {:literal} FROM OpportunityHistory", fields) + order
    return format_soql("SELECT {:literal} FROM OpportunityHistory WHERE CreatedDate >= {}",
                       fields, since) + order


def parse_history_row(row: object, *, now: datetime) -> StageHistoryEntry:
    """A row of :func:`stage_history_query`'s answer, or :class:`BadHistoryRecord`."""
    if not isinstance(row, Mapping):
        raise BadHistoryRecord("the record is not an object")
    try:
        history_id = to_18(row.get("Id"), prefix="008")
    except InvalidSalesforceId:
        raise BadHistoryRecord("Id is not an opportunity history Id") from None
    try:
        opportunity_id = to_18(row.get("OpportunityId"), prefix="006")
    except InvalidSalesforceId:
        raise BadHistoryRecord("OpportunityId is not an opportunity Id") from None
    stage = row.get("StageName")
    if not isinstance(stage, str) or not stage.strip():
        raise BadHistoryRecord("StageName is missing")
    try:
        amount = _amount(row.get("Amount"))
    except BadDealRecord as exc:
        raise BadHistoryRecord(str(exc)) from None
    return StageHistoryEntry(
        history_id=history_id, opportunity_id=opportunity_id,
        stage=stage.strip()[:_STAGE_LENGTH], created_at=_created_at(row.get("CreatedDate"), now),
        amount=amount, close_date=_close_date(row.get("CloseDate")),
    )


def _close_date(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadHistoryRecord("CloseDate is not a date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadHistoryRecord("CloseDate is not a date") from None


def _created_at(value: object, now: datetime) -> datetime:
    """Salesforce writes ``2026-11-20T10:15:00.000+0000``."""
    if not isinstance(value, str):
        raise BadHistoryRecord("CreatedDate is missing")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadHistoryRecord("CreatedDate is not a date and time") from None
    if when.tzinfo is None:
        raise BadHistoryRecord("CreatedDate has no time zone")
    if when > now + _FUTURE_TOLERANCE:
        raise BadHistoryRecord("CreatedDate is in the future")
    return when


__all__ = ["BadHistoryRecord", "HISTORY_FIELDS", "parse_history_row", "stage_history_query"]
