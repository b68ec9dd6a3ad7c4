"""An Opportunity as Salesforce's query API returns it, parsed into the neutral record."""
from __future__ import annotations

import math
from datetime import date
from typing import Any, Mapping

from plugin.crm.records import ContactRole, OpportunityRecord
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

#: Longest text kept from one field (Description allows 32,000 characters).
MAX_TEXT = 32_000
#: The key prefix of User Ids: an opportunity's owner is always a user (never a queue).
USER_PREFIX = "005"


def parse_opportunity(
    record: Mapping[str, Any],
    *,
    challenge_field: str | None = "Customer_Challenge__c",
    industry_field: str | None = None,
    extra_fields: tuple[str, ...] = (),
) -> OpportunityRecord:
    """``challenge_field``, ``industry_field`` and ``extra_fields`` are field paths as the query
    selects them (``Field__c`` or ``Account.Field__c``). An empty industry override falls back
    to ``Account.Industry``."""
    problems: list[str] = []
    opportunity_id = to_18(record.get("Id"), prefix="006")
    account = record.get("Account")
    if account is not None and not isinstance(account, Mapping):
        problems.append("Account is not an object")
        account = None
    if account is None:
        problems.append("No account on the opportunity")
    return OpportunityRecord(
        opportunity_id=opportunity_id,
        name=_text(record, "Name", problems) or "(unnamed opportunity)",
        stage=_text(record, "StageName", problems),
        amount=_number(record, "Amount", problems),
        probability=_number(record, "Probability", problems),
        close_date=_date(record, "CloseDate", problems),
        type=_text(record, "Type", problems),
        lead_source=_text(record, "LeadSource", problems),
        is_closed=record.get("IsClosed") is True,
        is_won=record.get("IsWon") is True,
        description=_text(record, "Description", problems) or "",
        next_step=_text(record, "NextStep", problems) or "",
        account_name=_text(account or {}, "Name", problems),
        industry=(_path_text(record, account, industry_field, problems) if industry_field else None)
        or _text(account or {}, "Industry", problems),
        challenge=_path_text(record, account, challenge_field, problems) if challenge_field else None,
        owner_id=_owner_id(record, problems),
        contact_roles=_contact_roles(record.get("OpportunityContactRoles"), problems),
        extra_fields=_extra_fields(record, account, extra_fields, problems),
        problems=tuple(problems),
    )


def _path_text(record: Mapping[str, Any], account: Mapping[str, Any] | None, path: str,
               problems: list[str]) -> str | None:
    _, dot, name = path.rpartition(".")
    return _text(account or {}, name, problems) if dot else _text(record, name, problems)


def _extra_fields(record: Mapping[str, Any], account: Mapping[str, Any] | None,
                  paths: tuple[str, ...], problems: list[str]) -> tuple[tuple[str, str], ...]:
    found = []
    for path in paths:
        value = _path_text(record, account, path, problems)
        if value:
            found.append((path, value))
    return tuple(found)


def _text(record: Mapping[str, Any], name: str, problems: list[str]) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.append(f"{name} is not text")
        return None
    value = value.replace("\x00", "").strip()
    return value[:MAX_TEXT] or None


def _owner_id(record: Mapping[str, Any], problems: list[str]) -> str | None:
    value = record.get("OwnerId")
    if value is None:
        return None
    try:
        return to_18(value, prefix=USER_PREFIX)
    except InvalidSalesforceId:
        problems.append("OwnerId is not a User Id")
        return None


def _number(record: Mapping[str, Any], name: str, problems: list[str]) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{name} is not a number")
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range, as json.loads returns for 1000…0
        number = math.inf
    if not math.isfinite(number):
        problems.append(f"{name} is not a finite number")
        return None
    return number


def _date(record: Mapping[str, Any], name: str, problems: list[str]) -> date | None:
    value = record.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        problems.append(f"{name} is not a date")
        return None


def _contact_roles(value: Any, problems: list[str]) -> tuple[ContactRole, ...]:
    if value is None:
        return ()
    records = value.get("records") if isinstance(value, Mapping) else None
    if not isinstance(records, list):
        problems.append("OpportunityContactRoles is not a query result")
        return ()
    roles = []
    for row in records:
        if not isinstance(row, Mapping):
            continue
        contact = row.get("Contact") if isinstance(row.get("Contact"), Mapping) else {}
        roles.append(
            ContactRole(
                role=_text(row, "Role", problems),
                is_primary=row.get("IsPrimary") is True,
                contact_name=_text(contact, "Name", problems),
                contact_title=_text(contact, "Title", problems),
            )
        )
    # Primary contact first; otherwise keep Salesforce's order.
    return tuple(sorted(roles, key=lambda r: not r.is_primary))


__all__ = ["MAX_TEXT", "USER_PREFIX", "parse_opportunity"]
