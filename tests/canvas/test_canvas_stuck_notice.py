"""The stuck-deal notice in the panel as Salesforce opens it (a Canvas signed request), for an
org whose stage history is held."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from content_catalog.opportunity_history import OpportunityHistory, StageHistoryEntry
from plugin.crm.salesforce.ids import to_18
from tests.canvas.conftest import OPPORTUNITY_ID, ORG_ID


def hold_history(app, *, days_in_proposal: float) -> None:
    """20 past deals that left Proposal/Price Quote within 1 to 20 days, and the Acme deal in it
    for ``days_in_proposal`` days."""
    now = datetime.now(timezone.utc)
    entries = []
    for n in range(20):
        deal = to_18(f"0065e0PASTD{n:04d}")
        start = now - timedelta(days=200 - n)
        entries += [
            StageHistoryEntry(to_18(f"0085e0PASTA{n:04d}"), deal, "Proposal/Price Quote", start),
            StageHistoryEntry(to_18(f"0085e0PASTB{n:04d}"), deal, "Negotiation/Review",
                              start + timedelta(days=n + 1)),
        ]
    entries.append(StageHistoryEntry(to_18("0085e0ACMEH0001"), OPPORTUNITY_ID,
                                     "Proposal/Price Quote",
                                     now - timedelta(days=days_in_proposal)))
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        OpportunityHistory(session, ORG_ID).add(entries)


def test_the_canvas_panel_of_a_stuck_deal_says_so(acme_app, client, signed, opportunity_answers):
    hold_history(acme_app, days_in_proposal=34.5)
    opportunity_answers()
    html = client.post("/canvas", data={"signed_request": signed}).get_data(as_text=True)
    said = re.search(r'data-testid="stuck-text">(.*?)</p>', html, re.S)
    assert said and said.group(1) == ("34 days in Proposal/Price Quote; deals here usually "
                                      "move within 16")


def test_the_canvas_panel_of_a_deal_moving_as_usual_says_nothing(acme_app, client, signed,
                                                                 opportunity_answers):
    hold_history(acme_app, days_in_proposal=3)
    opportunity_answers()
    html = client.post("/canvas", data={"signed_request": signed}).get_data(as_text=True)
    assert 'data-testid="stuck-notice"' not in html and "bi-suggestion" in html
