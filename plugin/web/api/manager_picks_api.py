"""``POST /api/v1/manager-recommendations/<id>/dismissal``: a rep dismisses a module their manager
recommended on the deal their panel is open on (the app token's record, or the body's in the demo)."""
from __future__ import annotations

from flask import Blueprint

from content_catalog.manager_recommendations import ManagerRecommendations
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.errors import InvalidInput, NotFound
from plugin.web.app_services import services
from plugin.web.json_body import json_object
from plugin.web.request_org import current_org

blueprint = Blueprint("manager_picks_api", __name__, url_prefix="/api/v1")
HINT = 'Send {"opportunity_id": "006..."}: the deal the panel is open on.'


@blueprint.post("/manager-recommendations/<int:recommendation_id>/dismissal")
def dismiss(recommendation_id: int):
    current_org()  # who asks comes first: an anonymous caller learns nothing about the body
    body = json_object(HINT)
    unknown = sorted(k for k in body if k != "opportunity_id")
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(k[:40] for k in unknown)}. {HINT}")
    try:
        opportunity_id = to_18(body.get("opportunity_id") if isinstance(body.get("opportunity_id"), str)
                               else "", prefix="006")
    except InvalidSalesforceId:
        raise InvalidInput(HINT) from None
    org = current_org(record_id=opportunity_id)  # a token must be for this deal
    if not 0 < recommendation_id < 2**31:
        raise NotFound("There is no such recommendation for you on this deal.")
    with services().sessions.begin() as session:
        done = ManagerRecommendations(session, org.org_id).dismiss(
            recommendation_id, rep_id=org.viewer or "", opportunity_id=opportunity_id)
    if not done:
        raise NotFound("There is no such recommendation for you on this deal.")
    return {"dismissed": recommendation_id}
