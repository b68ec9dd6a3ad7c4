"""The one SOQL query behind an opportunity's context."""
from __future__ import annotations

import enum
import re

from simple_salesforce import format_soql

from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.ids import to_18

OPPORTUNITY_FIELDS = (
    "Id", "Name", "StageName", "Amount", "Type", "Probability", "CloseDate", "IsClosed", "IsWon",
    "Description", "NextStep", "LeadSource", "OwnerId",
)
ACCOUNT_FIELDS = ("Account.Name", "Account.Industry")
CONTACT_ROLES_SUBQUERY = (
    "(SELECT Role, IsPrimary, Contact.Name, Contact.Title FROM OpportunityContactRoles)"
)

# An API name starts with a letter, has no spaces, no doubled or trailing underscore; custom
# fields end in "__c" and may carry a "namespace__" prefix. 40 characters per part.
_NAME_PART = r"[A-Za-z](?:[A-Za-z0-9]|_(?=[A-Za-z0-9])){0,39}"
_FIELD_NAME = re.compile(rf"^(?:{_NAME_PART}__)?{_NAME_PART}(?:__c)?$")


#: Objects a configured field may live on: the opportunity itself, or its account.
FIELD_OBJECTS = ("Opportunity", "Account")
#: The API version that introduced ``OpportunityStage.ApiName`` (the value ``StageName`` holds
#: when an admin renamed a stage's label), per Salesforce's object reference.
STAGE_API_NAME_SINCE = 36


class OptionalPart(enum.Enum):
    """Parts of the query an org may not let us read; the rest still makes a useful context."""

    CHALLENGE_FIELD = "challenge field"
    CONTACT_ROLES = "contact roles"
    #: The admin's industry override and extra text fields.
    MAPPED_FIELDS = "mapped fields"


def validate_field_name(name: object) -> str:
    """``name`` if it is a plausible Opportunity field API name, else
    :class:`SalesforceConfigError`.

    It must also not repeat a field the query already selects (Salesforce rejects duplicates).
    """
    if not isinstance(name, str) or not _FIELD_NAME.match(name):
        raise SalesforceConfigError(f"{str(name)[:60]!r} is not a Salesforce field API name")
    if name.lower() in {f.lower() for f in OPPORTUNITY_FIELDS}:
        raise SalesforceConfigError(f"{name!r} is already read as a standard field")
    return name


def validate_field_path(path: object) -> str:
    """``path`` if it names a field the context query may add: ``Field`` on the Opportunity or
    ``Account.Field``, else :class:`SalesforceConfigError`. The object prefix is spelled as
    Salesforce does; a field the query already reads is refused (Salesforce rejects duplicates)."""
    if not isinstance(path, str):
        raise SalesforceConfigError(f"{str(path)[:60]!r} is not a Salesforce field API name")
    prefix, dot, name = path.strip().rpartition(".")
    if not dot:
        return validate_field_name(name)
    if prefix.casefold() != "account" or not _FIELD_NAME.match(name):
        raise SalesforceConfigError(
            f"{path[:60]!r} is not a field API name: use Field__c (Opportunity) or Account.Field__c"
        )
    if f"account.{name}".casefold() in {f.casefold() for f in ACCOUNT_FIELDS}:
        raise SalesforceConfigError(f"'Account.{name}' is already read as a standard field")
    return f"Account.{name}"


def split_field_path(path: str) -> tuple[str, str]:
    """(object, field) of a validated path: ``("Account", "Sector__c")``, ``("Opportunity", "X")``."""
    prefix, dot, name = path.rpartition(".")
    return (prefix, name) if dot else ("Opportunity", name)


def opportunity_context_query(
    opportunity_id: str,
    *,
    challenge_field: str | None = None,
    industry_field: str | None = None,
    extra_fields: tuple[str, ...] = (),
    without: frozenset[OptionalPart] = frozenset(),
) -> str:
    """The SOQL for one opportunity's context, leaving out the parts named in ``without``."""
    record_id = to_18(opportunity_id, prefix="006")
    fields = context_fields(challenge_field=challenge_field, industry_field=industry_field,
                            extra_fields=extra_fields, without=without)
    if OptionalPart.CONTACT_ROLES not in without:
        fields.append(CONTACT_ROLES_SUBQUERY)
    return format_soql(
        "SELECT {fields:literal} FROM Opportunity WHERE Id = {record_id}",
        fields=", ".join(fields),
        record_id=record_id,
    )


def context_fields(
    *,
    challenge_field: str | None = None,
    industry_field: str | None = None,
    extra_fields: tuple[str, ...] = (),
    without: frozenset[OptionalPart] = frozenset(),
) -> list[str]:
    """The field paths :func:`opportunity_context_query` selects (without the subquery), so an
    answer can be checked for fields the server silently left out."""
    fields = list(OPPORTUNITY_FIELDS)
    if challenge_field and OptionalPart.CHALLENGE_FIELD not in without:
        fields.append(validate_field_path(challenge_field))
    fields.extend(ACCOUNT_FIELDS)
    if OptionalPart.MAPPED_FIELDS not in without:
        mapped = [industry_field] if industry_field else []
        for path in (validate_field_path(f) for f in [*mapped, *extra_fields]):
            if path.casefold() not in {f.casefold() for f in fields}:
                fields.append(path)
    return fields


def opportunity_stages_query(api_version: str) -> str:
    """The org's active stages in pipeline order. ``ApiName`` is asked for only where the API
    version has it; without it, the label is the value."""
    api_name = ", ApiName" if int(api_version.split(".")[0]) >= STAGE_API_NAME_SINCE else ""
    return (f"SELECT MasterLabel{api_name}, IsActive, IsClosed, IsWon, SortOrder "  # nosec B608 # why: api_name is one of two constants
            "FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder")


ORGANIZATION_NAME_QUERY = "SELECT Name FROM Organization"


__all__ = [
    "FIELD_OBJECTS", "ORGANIZATION_NAME_QUERY", "OptionalPart", "context_fields",
    "opportunity_context_query",
    "opportunity_stages_query", "split_field_path", "validate_field_name", "validate_field_path",
]
