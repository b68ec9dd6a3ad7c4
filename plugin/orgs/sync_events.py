"""What a sync of an org's CRM records tells the org's admins, the same for every sync: failures
and skipped rows in our words, an event when something changed, one per distinct failure."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.org_activity import OrgActivityRepository
from plugin.crm.salesforce.deal_changes import BreakerOpen
from plugin.crm.salesforce.exceptions import AccessRefused, QueryRejected, SalesforceApiError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

log = logging.getLogger(__name__)

#: How many skipped records an event names (the sync's report keeps them all).
SKIPPED_IN_EVENT = 5
#: What an org event holds (``OrgActivityRepository.add_event`` keeps the start).
MESSAGE_CHARS = 1000


def explain_failure(exc: BreakerOpen | SalesforceApiError, permissions_hint: str) -> str:
    """Why a read failed, in words an admin can act on; a refused query names the permissions."""
    if isinstance(exc, BreakerOpen):
        return str(exc)
    what = f"{exc.reason} ({exc.error_code})" if exc.error_code else exc.reason
    if isinstance(exc, (QueryRejected, AccessRefused)):
        what = f"{what}: {permissions_hint}"
    return what


def record_label(row: object, index: int, prefix: str) -> str:
    """A skipped row's Id if it is one (``prefix``: its object's key prefix), else its place in
    the answer: a hostile Id is never echoed to a terminal or a page."""
    try:
        return to_18(row.get("Id") if isinstance(row, dict) else None, prefix=prefix)
    except InvalidSalesforceId:
        return f"record {index + 1} (no valid Id)"


def with_skipped(message: str, skipped: Iterable[tuple[str, str]]) -> str:
    """``message`` naming the first few skipped rows (label, reason) and how many more."""
    skipped = list(skipped)
    if not skipped:
        return message
    named = "; ".join(f"{label}: {reason}" for label, reason in skipped[:SKIPPED_IN_EVENT])
    more = len(skipped) - SKIPPED_IN_EVENT
    return message + f"; skipped {named}" + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class SyncEvents:
    """One sync's two event kinds, and what its log lines call it ("deal outcomes")."""

    synced: str
    failed: str
    what: str

    def record_success(self, session: Session, org_id: str, message: str, *, changed: bool,
                       now: datetime) -> None:
        """An event when the sync changed or skipped something, or is the first good one after
        a failure: an hourly "nothing new" would push real problems off the admin's list."""
        activity = OrgActivityRepository(session, org_id)
        last = activity.last_event((self.synced, self.failed))
        if changed or (last is not None and last.kind == self.failed):
            activity.add_event(self.synced, message[:MESSAGE_CHARS], now)

    def record_failure(self, sessions: sessionmaker[Session], org_id: str, message: str,
                       now: datetime) -> None:
        """The failure, unless the last event says the same: an outage failing every run the
        same way is one event, not a list of them. Compared as stored (its first characters)."""
        message = message[:MESSAGE_CHARS]
        try:
            with sessions.begin() as session:
                activity = OrgActivityRepository(session, org_id)
                last = activity.last_event((self.synced, self.failed))
                if last is None or (last.kind, last.message) != (self.failed, message):
                    activity.add_event(self.failed, message, now)
        except SQLAlchemyError:
            log.exception("could not record the failed %s sync of org %s", self.what, org_id)


__all__ = ["SKIPPED_IN_EVENT", "SyncEvents", "explain_failure", "record_label", "with_skipped"]
