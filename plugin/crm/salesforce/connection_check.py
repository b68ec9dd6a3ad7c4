"""What an admin asks of a connection before relying on it (login, fields), and the org's stages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from plugin.crm.salesforce.client import ApiUsage, SalesforceClient
from plugin.crm.salesforce.config import AuthMode, OrgConnection
from plugin.crm.salesforce.exceptions import SalesforceApiError, UnexpectedResponse
from plugin.crm.salesforce.soql import (
    ACCOUNT_FIELDS,
    OPPORTUNITY_FIELDS,
    ORGANIZATION_NAME_QUERY,
    opportunity_stages_query,
    split_field_path,
)

CANVAS_ONLY = (
    "This org is Canvas-only: the service holds no credentials and reads Salesforce with each "
    "rep's own session, inside the panel. It cannot be tested from here; open the panel on an "
    "opportunity instead, or add server-to-server credentials."
)
#: The objects the context query reads, with the fields it always names.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "Opportunity": OPPORTUNITY_FIELDS,
    "Account": tuple(f.split(".", 1)[1] for f in ACCOUNT_FIELDS),
    "OpportunityContactRole": ("Role", "IsPrimary", "ContactId"),
}


@dataclass(frozen=True)
class MissingField:
    """A field (or, with ``field`` None, a whole object) the integration user cannot read."""

    sobject: str
    field: str | None
    #: Why it matters: "mapped challenge field", "read by every panel", ...
    role: str

    @property
    def label(self) -> str:
        return self.sobject if self.field is None else f"{self.sobject}.{self.field}"


@dataclass(frozen=True)
class ConnectionCheck:
    testable: bool
    ok: bool
    org_name: str | None = None
    api_usage: ApiUsage | None = None
    missing: tuple[MissingField, ...] = ()
    #: Our own words about what failed; never Salesforce's raw answer or a credential.
    error: str | None = None
    api_calls: int = 0

    def summary(self) -> str:
        if not self.testable:
            return CANVAS_ONLY
        if self.error:
            return f"Connection failed: {self.error}"
        name = f"Connected to “{self.org_name}”" if self.org_name else "Connected"
        if self.missing:
            return f"{name}, but {len(self.missing)} field(s) or object(s) cannot be read."
        return f"{name}; every field the panel reads is readable."


@dataclass(frozen=True)
class OrgStage:
    """One active Opportunity stage: ``value`` is what ``StageName`` holds (the API name)."""

    value: str
    label: str
    is_closed: bool
    is_won: bool
    sort_order: int | None


def check_connection(connection: OrgConnection, *,
                     client: SalesforceClient | None = None) -> ConnectionCheck:
    if connection.auth_mode is AuthMode.CANVAS:
        return ConnectionCheck(testable=False, ok=False)
    client = client or SalesforceClient(connection)
    try:
        org_name = _organization_name(client.query(ORGANIZATION_NAME_QUERY))
        missing = tuple(_missing_fields(client, connection))
    except SalesforceApiError as exc:
        return ConnectionCheck(testable=True, ok=False, api_usage=client.api_usage,
                               error=describe_failure(exc), api_calls=client.api_calls)
    return ConnectionCheck(testable=True, ok=not missing, org_name=org_name,
                           api_usage=client.api_usage, missing=missing, api_calls=client.api_calls)


def read_stages(connection: OrgConnection, *,
                client: SalesforceClient | None = None) -> list[OrgStage]:
    """The org's active stages in pipeline order; :class:`SalesforceApiError` when it cannot
    be read (and nothing at all for a Canvas-only org, which has no credentials)."""
    if connection.auth_mode is AuthMode.CANVAS:
        return []
    client = client or SalesforceClient(connection)
    answer = client.query(opportunity_stages_query(connection.api_version))
    records = answer.get("records")
    if not isinstance(records, list):
        raise UnexpectedResponse("the stages answer has no records list")
    return stages_from_records(records)


def stages_from_records(records: list[Any]) -> list[OrgStage]:
    """The stages of an ``OpportunityStage`` query's records, in ``SortOrder`` (rows without
    one last, as they came); rows that are not stages are left out."""
    stages = [stage for stage in map(_stage, records) if stage is not None]
    return sorted(stages, key=lambda s: (s.sort_order is None, s.sort_order or 0))


def describe_failure(exc: SalesforceApiError) -> str:
    """A failure in our words plus Salesforce's error code (never its message, which may quote
    the query or, for logins, what was sent)."""
    code = f" ({exc.error_code})" if exc.error_code else ""
    return f"{exc.reason}{code}"


def _organization_name(answer: dict[str, Any]) -> str | None:
    records = answer.get("records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        name = records[0].get("Name")
        return name[:200] if isinstance(name, str) else None
    return None


def _missing_fields(client: SalesforceClient, connection: OrgConnection) -> Iterable[MissingField]:
    for sobject, wanted in _wanted_fields(connection).items():
        try:
            described = client.describe(sobject)
        except SalesforceApiError as exc:
            if exc.status in (403, 404):
                yield MissingField(sobject, None, "read by every panel")
                continue
            raise
        visible = {f.get("name", "").casefold() for f in described.get("fields", [])
                   if isinstance(f, dict)}
        for field, role in wanted.items():
            if field.casefold() not in visible:
                yield MissingField(sobject, field, role)


def _wanted_fields(connection: OrgConnection) -> dict[str, dict[str, str]]:
    wanted = {sobject: dict.fromkeys(fields, "read by every panel")
              for sobject, fields in REQUIRED_FIELDS.items()}
    mapped = [(connection.challenge_field, "mapped challenge field"),
              (connection.industry_field, "mapped industry field"),
              *((path, "extra context field") for path in connection.extra_fields)]
    for path, role in mapped:
        if path:
            sobject, field = split_field_path(path)
            wanted[sobject].setdefault(field, role)
    return wanted


def _stage(row: object) -> OrgStage | None:
    if not isinstance(row, dict) or not isinstance(row.get("MasterLabel"), str):
        return None
    label = row["MasterLabel"].strip()
    api_name = row.get("ApiName")
    value = api_name if isinstance(api_name, str) and api_name.strip() else label
    order = row.get("SortOrder")
    return OrgStage(
        value=value.strip()[:255], label=label[:255], is_closed=row.get("IsClosed") is True,
        is_won=row.get("IsWon") is True,
        sort_order=order if isinstance(order, int) and not isinstance(order, bool) else None,
    )


__all__ = [
    "CANVAS_ONLY", "ConnectionCheck", "MissingField", "OrgStage", "check_connection", "read_stages",
    "stages_from_records",
]
