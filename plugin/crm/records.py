"""An opportunity as every CRM adapter hands it to the panel: the neutral record type."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ContactRole:
    role: str | None
    is_primary: bool
    contact_name: str | None = None
    contact_title: str | None = None


@dataclass(frozen=True)
class OpportunityRecord:
    opportunity_id: str
    name: str
    stage: str | None = None
    amount: float | None = None
    probability: float | None = None
    close_date: date | None = None
    type: str | None = None
    lead_source: str | None = None
    is_closed: bool = False
    is_won: bool = False
    description: str = ""
    next_step: str = ""
    account_name: str | None = None
    industry: str | None = None
    challenge: str | None = None
    #: The 18-character Id of the User who owns the deal (Salesforce ``OwnerId``); None when
    #: the source has none or sent something that is not a User Id (named in ``problems``).
    owner_id: str | None = None
    contact_roles: tuple[ContactRole, ...] = ()
    #: (field, text) of the extra fields the org's admin mapped, for the recommender's text.
    extra_fields: tuple[tuple[str, str], ...] = ()
    #: What could not be read and why ("Amount is not a number"), for admins.
    problems: tuple[str, ...] = field(default_factory=tuple)


__all__ = ["ContactRole", "OpportunityRecord"]
