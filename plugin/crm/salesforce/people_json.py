"""Salesforce ``User``, ``UserRole`` and ``Event`` records as the query API returns them, parsed
strictly into the people store's dataclasses; and the queries that read them."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from simple_salesforce import format_soql

from content_catalog.people_store import Meeting, SalesRole, SyncedUser
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18

USER_FIELDS = ("Id", "Name", "UserType", "UserRoleId", "ManagerId", "IsActive", "ContactId",
               "Contact.AccountId", "Contact.Account.Name", "LastModifiedDate")
ROLE_FIELDS = ("Id", "Name", "ParentRoleId", "LastModifiedDate")
EVENT_FIELDS = ("Id", "WhatId", "OwnerId", "StartDateTime", "EndDateTime", "LastModifiedDate")
#: Key prefixes of the Ids these records hold.
PREFIXES = {"user": "005", "role": "00E", "event": "00U", "opportunity": "006",
            "contact": "003", "account": "001"}
#: Internal and partner users; portal customers, guests and automated users own no deals.
USER_TYPES = ("Standard", "PowerPartner", "Partner")
_NAME_LENGTH = 255
_TYPE_LENGTH = 40
#: A LastModifiedDate further ahead than this is refused: it would hold the watermark in the
#: future and hide every later change.
_FUTURE_TOLERANCE = timedelta(days=1)


class BadPeopleRecord(ValueError):
    """One row that cannot be read; the sync skips it and reports ``str(exc)``."""


def users_query(since: datetime | None) -> str:
    """Users of the types that own deals, modified at or after ``since`` (all without)."""
    base = "SELECT {:literal} FROM User WHERE UserType IN {}"
    if since is None:
        return format_soql(base, ", ".join(USER_FIELDS), list(USER_TYPES))
    return format_soql(base + " AND LastModifiedDate >= {}", ", ".join(USER_FIELDS),
                       list(USER_TYPES), since)


def roles_query() -> str:
    """Every role: the hierarchy is small and read whole, so a deleted role is noticed."""
    return format_soql("SELECT {:literal} FROM UserRole", ", ".join(ROLE_FIELDS))


def events_query(since: datetime | None) -> str:
    """Events on opportunities modified at or after ``since`` (all without)."""
    base = "SELECT {:literal} FROM Event WHERE What.Type = {}"
    if since is None:
        return format_soql(base, ", ".join(EVENT_FIELDS), "Opportunity")
    return format_soql(base + " AND LastModifiedDate >= {}", ", ".join(EVENT_FIELDS),
                       "Opportunity", since)


def parse_user(row: object, *, now: datetime) -> SyncedUser:
    record = _mapping(row)
    user_type = _text(record, "UserType", _TYPE_LENGTH, required=True)
    contact = record.get("Contact")
    if contact is not None and not isinstance(contact, Mapping):
        raise BadPeopleRecord("Contact is not an object")
    account = (contact or {}).get("Account")
    if account is not None and not isinstance(account, Mapping):
        raise BadPeopleRecord("Contact.Account is not an object")
    account_id = _id(contact or {}, "AccountId", "account")
    return SyncedUser(
        user_id=_id(record, "Id", "user", required=True),
        name=_text(record, "Name", _NAME_LENGTH, required=True),
        user_type=user_type,
        is_partner=user_type in ("PowerPartner", "Partner"),
        role_id=_id(record, "UserRoleId", "role"),
        manager_id=_id(record, "ManagerId", "user"),
        partner_account_id=account_id,
        partner_account_name=_text(account or {}, "Name", _NAME_LENGTH) if account_id else None,
        active=_boolean(record, "IsActive"),
        modified_at=_when(record, "LastModifiedDate", now, required=False),
    )


def parse_role(row: object, *, now: datetime) -> SalesRole:
    record = _mapping(row)
    return SalesRole(
        role_id=_id(record, "Id", "role", required=True),
        name=_text(record, "Name", _NAME_LENGTH, required=True),
        parent_role_id=_id(record, "ParentRoleId", "role"),
        modified_at=_when(record, "LastModifiedDate", now, required=False),
    )


def parse_event(row: object, *, now: datetime) -> Meeting:
    record = _mapping(row)
    return Meeting(
        event_id=_id(record, "Id", "event", required=True),
        opportunity_id=_id(record, "WhatId", "opportunity", required=True),
        owner_id=_id(record, "OwnerId", "user"),
        starts_at=_when(record, "StartDateTime", None, required=True),
        ends_at=_when(record, "EndDateTime", None, required=False),
        modified_at=_when(record, "LastModifiedDate", now, required=False),
    )


def _mapping(row: object) -> Mapping[str, Any]:
    if not isinstance(row, Mapping):
        raise BadPeopleRecord("the record is not an object")
    return row


def _id(record: Mapping[str, Any], name: str, kind: str, *, required: bool = False) -> Any:
    value = record.get(name)
    if value is None and not required:
        return None
    try:
        return to_18(value, prefix=PREFIXES[kind])
    except InvalidSalesforceId:
        raise BadPeopleRecord(f"{name} is not a valid {kind} Id") from None


def _text(record: Mapping[str, Any], name: str, length: int, *, required: bool = False) -> Any:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadPeopleRecord(f"{name} is missing or not text")
    return " ".join(value.replace("\x00", "").split())[:length]


def _boolean(record: Mapping[str, Any], name: str) -> bool:
    value = record.get(name)
    if not isinstance(value, bool):
        raise BadPeopleRecord(f"{name} is not true or false")
    return value


def _when(record: Mapping[str, Any], name: str, now: datetime | None, *,
          required: bool) -> Any:
    """Salesforce writes ``2026-11-20T10:15:00.000+0000``."""
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise BadPeopleRecord(f"{name} is not a date and time")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadPeopleRecord(f"{name} is not a date and time") from None
    if when.tzinfo is None:
        raise BadPeopleRecord(f"{name} has no time zone")
    if now is not None and when > now + _FUTURE_TOLERANCE:
        raise BadPeopleRecord(f"{name} is in the future")
    return when


__all__ = [
    "BadPeopleRecord", "EVENT_FIELDS", "PREFIXES", "ROLE_FIELDS", "USER_FIELDS", "USER_TYPES",
    "events_query", "parse_event", "parse_role", "parse_user", "roles_query", "users_query",
]
