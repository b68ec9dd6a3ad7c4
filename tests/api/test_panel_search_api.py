"""The panel's search over HTTP: the JSON API and the panel's results page, their bounds and
errors, and the impressions they log as a search."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from content_catalog.tables.learning_tables import PanelImpressionRow
from plugin.app import create_app
from plugin.crm.demo_org import load_demo_catalog
from plugin.settings import Settings
from tests.api.conftest import TODAY


@pytest.fixture
def search_app(tmp_path):
    """The demo on a database of its own (impressions are counted) allowing 3 searches a minute."""
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'search.sqlite3'}",
                        panel_searches_per_minute=3)
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    yield app
    svc.engine.dispose()


def search_impressions(app) -> list[PanelImpressionRow]:
    svc = app.extensions["be_inspired"]
    svc.impressions.drain()
    with svc.sessions() as session:
        return list(session.scalars(select(PanelImpressionRow).where(
            PanelImpressionRow.origin == "search").order_by(PanelImpressionRow.position)))


def test_search_api_answers_ranked_cards_and_logs_them_as_a_search(search_app, opportunity_where):
    opportunity = opportunity_where(lambda o: o.name.startswith("St. Aldric"))
    response = search_app.test_client().get(
        f"/api/v1/opportunities/{opportunity.opportunity_id}/search", query_string={"q": " payer  audit "})

    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "payer audit" and body["notice"] is None
    assert body["total"] == len(body["results"]) >= 1
    first = body["results"][0]
    assert first["title"].startswith("Mercy Ridge Health") and first["reasons"][0] == "Found in the title"
    logged = search_impressions(search_app)
    assert [row.impression_id for row in logged] == [r["impression_id"] for r in body["results"]]
    assert {(row.search_text, row.opportunity_id, row.model_version) for row in logged} == {
        ("payer audit", opportunity.opportunity_id, "search")}


@pytest.mark.parametrize("query, message", [
    ({}, "Type at least 2 characters to search."),
    ({"q": "x"}, "Type at least 2 characters to search."),
    ({"q": "x" * 101}, "Search for at most 100 characters."),
])
def test_search_out_of_bounds_is_a_400_that_says_why_and_logs_nothing(
    search_app, demo_opportunities, query, message
):
    url = f"/api/v1/opportunities/{demo_opportunities[0].opportunity_id}/search"
    response = search_app.test_client().get(url, query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_input", "message": message}
    assert search_impressions(search_app) == []


def test_too_many_searches_get_429_with_retry_after(search_app, demo_opportunities):
    client = search_app.test_client()
    url = f"/api/v1/opportunities/{demo_opportunities[0].opportunity_id}/search?q=audit"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = client.get(url.replace("/api/v1/opportunities", "/panel"))
    assert page.status_code == 429 and "try again in" in page.get_data(as_text=True)


def test_search_of_an_unknown_opportunity_is_404(search_app):
    response = search_app.test_client().get("/api/v1/opportunities/006000000000000AAA/search?q=audit")
    assert response.status_code == 404


def test_results_page_shows_the_search_text_escaped_and_hides_the_suggestions(
    search_app, demo_opportunities
):
    url = f"/panel/{demo_opportunities[0].opportunity_id}/search"
    html = search_app.test_client().get(url, query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'data-testid="search-empty"' in html and "data-suggestion-lists hidden" in html
