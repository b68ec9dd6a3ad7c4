"""The one SOQL query behind an opportunity's context.

A parent relationship (``Account.``) and a child subquery (``OpportunityContactRoles``) bring the
opportunity, its account and its contact roles back in a single API call.

Values are bound with :func:`simple_salesforce.format_soql`, which quotes and escapes them. Field
names cannot be bound, so the only configurable one (the org's "customer challenge" field) is
checked against Salesforce's rules for API names before it is placed with ``:literal``.
"""
from __future__ import annotations

import enum
import re

from simple_salesforce import format_soql

from plugin.salesforce.errors import SalesforceConfigError
from plugin.salesforce.ids import to_18

OPPORTUNITY_FIELDS = (
    "Id", "Name", "StageName", "Amount", "Type", "Probability", "CloseDate", "IsClosed", "IsWon",
    "Description", "NextStep", "LeadSource",
)
ACCOUNT_FIELDS = ("Account.Name", "Account.Industry")
CONTACT_ROLES_SUBQUERY = (
    "(SELECT Role, IsPrimary, Contact.Name, Contact.Title FROM OpportunityContactRoles)"
)

# An API name starts with a letter, has no spaces, no doubled or trailing underscore; custom
# fields end in "__c" and may carry a "namespace__" prefix. 40 characters per part.
_NAME_PART = r"[A-Za-z](?:[A-Za-z0-9]|_(?=[A-Za-z0-9])){0,39}"
_FIELD_NAME = re.compile(rf"^(?:{_NAME_PART}__)?{_NAME_PART}(?:__c)?$")


class OptionalPart(enum.Enum):
    """Parts of the query an org may not let us read; the rest still makes a useful context."""

    CHALLENGE_FIELD = "challenge field"
    CONTACT_ROLES = "contact roles"


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


def opportunity_context_query(
    opportunity_id: str,
    *,
    challenge_field: str | None = None,
    without: frozenset[OptionalPart] = frozenset(),
) -> str:
    """The SOQL for one opportunity's context, leaving out the parts named in ``without``."""
    record_id = to_18(opportunity_id, prefix="006")
    fields = list(OPPORTUNITY_FIELDS)
    if challenge_field and OptionalPart.CHALLENGE_FIELD not in without:
        fields.append(validate_field_name(challenge_field))
    fields.extend(ACCOUNT_FIELDS)
    if OptionalPart.CONTACT_ROLES not in without:
        fields.append(CONTACT_ROLES_SUBQUERY)
    return format_soql(
        "SELECT {fields:literal} FROM Opportunity WHERE Id = {record_id}",
        fields=", ".join(fields),
        record_id=record_id,
    )


__all__ = ["OptionalPart", "opportunity_context_query", "validate_field_name"]
