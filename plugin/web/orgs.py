"""Which org (and so which opportunity source) a request is for."""
from __future__ import annotations

from plugin.errors import ApiError
from plugin.opportunity_sources import OpportunitySource
from plugin.services import services


class NoOrgForRequest(ApiError):
    status = 401
    code = "unauthorised"


def current_source() -> OpportunitySource:
    """The demo org in demo mode. Signed Salesforce requests select live orgs (Canvas)."""
    demo_org = services().demo_org
    if demo_org is not None:
        return demo_org
    raise NoOrgForRequest("This endpoint needs a signed Salesforce request; demo mode is off.")
