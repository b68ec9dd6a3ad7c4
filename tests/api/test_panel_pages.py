"""The panel's HTML at the HTTP level: escaping, sanitising, degrading (the browser tests look)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from content_catalog.repository import CatalogRepository
from plugin.crm.demo_org import DEMO_ORG_ID, demo_module_payloads
from plugin.crm.sources import SourceUnavailable


class ElementCollector(HTMLParser):
    """Every start tag with its attributes: what a browser would build, not the raw text."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def test_panel_shows_each_suggestion_with_title_kind_author_and_reasons(client, demo_opportunities):
    html = client.get(f"/panel/{demo_opportunities[0].opportunity_id}").get_data(as_text=True)
    cards = re.findall(r'<li class="slds-item bi-suggestion" data-module-id="([^"]+)"', html)
    assert len(cards) >= 5
    assert html.count('class="bi-author"') == len(cards)
    assert html.count('class="bi-kind"') == len(cards)
    assert 'class="slds-badge slds-badge_lightest bi-reason">Economic Buyer<' in html


def test_hostile_description_is_shown_as_text_never_run(client, opportunity_where):
    opp = opportunity_where(lambda o: "<script>" in o.description)
    html = client.get(f"/demo/{opp.opportunity_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and ">49<" not in html


def test_module_page_renders_markdown_and_strips_markup_that_could_run(demo_app, client, demo_opportunities, module_factory):
    hostile = module_factory(
        "hostile-body",
        body="# Heading\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n- point",
    )
    svc = demo_app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        CatalogRepository(session, DEMO_ORG_ID).upsert_many([hostile])
    html = client.get(f"/panel/{demo_opportunities[0].opportunity_id}/modules/hostile-body").get_data(as_text=True)
    assert "<h1>Heading</h1>" in html and "<li>point</li>" in html
    elements = ElementCollector(html).elements
    assert [tag for tag, _ in elements if tag in ("script", "img", "iframe")] == []
    assert not [a for _, attrs in elements for a in attrs if a.startswith("on")]
    assert not [v for _, attrs in elements for v in attrs.values() if v and v.strip().lower().startswith("javascript:")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text


def test_retired_or_unknown_module_is_not_opened(client, demo_opportunities):
    opp = demo_opportunities[0].opportunity_id
    assert client.get(f"/panel/{opp}/modules/no-such-module").status_code == 404
    retired = "cs-healthcare-mercy-ridge-pilot-2023"
    response = client.get(f"/panel/{opp}/modules/{retired}")
    assert response.status_code == 404


def test_panel_for_unknown_opportunity_is_a_404_page_not_a_trace(client):
    response = client.get("/panel/006000000000000AAA")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_unavailable_crm_still_renders_a_panel_with_general_suggestions_and_says_so(demo_app, client, monkeypatch, demo_opportunities):
    def unavailable(_opportunity_id):
        raise SourceUnavailable("Salesforce data unavailable, showing general suggestions", stage="Closed Won")

    monkeypatch.setattr(demo_app.extensions["be_inspired"].demo_org, "fetch", unavailable)
    response = client.get(f"/panel/{demo_opportunities[0].opportunity_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="notice"' in html and "Salesforce data unavailable" in html
    assert "Implementation &amp; adoption phase" in html  # the stage was still known
    api = client.get(f"/api/v1/opportunities/{demo_opportunities[0].opportunity_id}/recommendations").get_json()
    assert api["notice"].startswith("Salesforce data unavailable") and api["client_facing"]


def test_panel_pages_send_a_strict_content_security_policy(client, demo_opportunities):
    response = client.get(f"/panel/{demo_opportunities[0].opportunity_id}")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_unmapped_stage_is_placed_by_the_stage_order_and_the_rep_is_told(
    client, opportunity_where
):
    """Keystone sits in the demo org's custom stage "Security Review", which no one mapped: its
    panel ranks as buying (between Proposal/Price Quote and Negotiation/Review in the demo org's
    stage order), says so, and suggests nothing made only for after the signature."""
    keystone = opportunity_where(lambda o: o.stage == "Security Review")
    html = client.get(f"/panel/{keystone.opportunity_id}").get_data(as_text=True)
    notice = re.search(r'data-testid="stage-notice">.*?<p>(.*?)</p>', html, re.S)
    assert notice and notice.group(1) == (
        "This deal&#39;s stage “Security Review” isn&#39;t set up in Be Inspired yet, so these "
        "suggestions assume it sits between Proposal/Price Quote and Negotiation/Review (buying).")
    post_sale = {m["id"] for m in demo_module_payloads()
                 if m["tags"]["journey_phase"] == ["implementation_adoption"]}
    shown = set(re.findall(r'data-module-id="([^"]+)"', html))
    assert shown and not shown & post_sale


def test_a_mapped_stage_gets_no_stage_notice(client, opportunity_where):
    mapped = opportunity_where(lambda o: o.stage == "Proposal/Price Quote")
    html = client.get(f"/panel/{mapped.opportunity_id}").get_data(as_text=True)
    assert 'data-testid="stage-notice"' not in html
