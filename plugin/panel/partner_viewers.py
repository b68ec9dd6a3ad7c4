"""Partner users see only content marked for partners: which Salesforce user types are partners,
and the check every door to a module (panel, search, JSON API, personalise, export) makes."""
from __future__ import annotations

from content_catalog.modules import ContentModule
from plugin.deals.people import PARTNER_USER_TYPES

#: ``UserType`` as the API spells it ("PowerPartner") and as Canvas does ("POWER_PARTNER").
_PARTNER_SPELLINGS = frozenset(t.casefold() for t in PARTNER_USER_TYPES)


def is_partner_user_type(user_type: object) -> bool:
    """Whether a Salesforce ``UserType`` (API or Canvas spelling) is a partner user's."""
    return isinstance(user_type, str) and user_type.replace("_", "").casefold() in _PARTNER_SPELLINGS


def visible_to(module: ContentModule, *, partner: bool) -> bool:
    """A partner user may see a module only when it is marked for partners; others see all."""
    return module.for_partners or not partner
