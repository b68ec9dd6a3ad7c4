"""Every panel view counts the modules it showed, so the workspace can find content nobody sees.

The counts are written in the background with the view's impressions
(``plugin/panel/impressions.py``), so each reading here first writes what is queued."""
from __future__ import annotations

import re

from content_catalog.suggestion_stats import SuggestionStats
from plugin.crm.demo_org import DEMO_ORG_ID


def counts(demo_app) -> dict[str, int]:
    svc = demo_app.extensions["be_inspired"]
    svc.impressions.flush()
    with svc.sessions() as session:
        return SuggestionStats(session, DEMO_ORG_ID).counts()


def shown_on_panel(html: str) -> set[str]:
    return set(re.findall(r'<li class="slds-item bi-suggestion" data-module-id="([^"]+)"', html))


def test_a_panel_view_counts_each_module_it_showed_once(demo_app, client, demo_opportunities):
    before = counts(demo_app)
    html = client.get(f"/panel/{demo_opportunities[0].opportunity_id}").get_data(as_text=True)
    after = counts(demo_app)

    shown = shown_on_panel(html)
    assert shown
    assert {key for key in after if after[key] != before.get(key, 0)} == shown
    assert all(after[key] == before.get(key, 0) + 1 for key in shown)


def test_the_api_for_an_opportunity_counts_what_it_returned(demo_app, client, demo_opportunities):
    before = counts(demo_app)
    body = client.get(
        f"/api/v1/opportunities/{demo_opportunities[1].opportunity_id}/recommendations"
    ).json
    after = counts(demo_app)

    returned = {s["module_id"] for s in body["client_facing"] + body["internal"]}
    assert {key for key in after if after[key] != before.get(key, 0)} == returned


def test_a_preview_is_not_counted(demo_app, demo_opportunities):
    svc = demo_app.extensions["be_inspired"]
    before = counts(demo_app)
    with demo_app.app_context():
        view = svc.panel_views.view(svc.demo_org, demo_opportunities[2].opportunity_id, count_shown=False
        )
    assert view.suggestions.client_facing
    assert counts(demo_app) == before


def test_a_failure_to_count_never_costs_the_rep_a_panel(
    demo_app, client, demo_opportunities, monkeypatch, caplog
):
    def broken(self, counts, at):
        raise RuntimeError("stats table is locked")

    monkeypatch.setattr(SuggestionStats, "record_counts", broken)
    response = client.get(f"/panel/{demo_opportunities[0].opportunity_id}")
    demo_app.extensions["be_inspired"].impressions.flush()  # where the counting happens

    assert response.status_code == 200
    assert shown_on_panel(response.get_data(as_text=True))
    assert "could not count the suggestions shown" in caplog.text
