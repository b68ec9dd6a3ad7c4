"""A partner user sees only content marked for partners, enforced on the server at every door:
the panel, its search, the JSON API (recommendations, search, a module by id), personalise and
its downloads. Demo mode with the picker's partner rep, and an app token whose signed request
said ``userType`` POWER_PARTNER."""
from __future__ import annotations

import json
import re

import pytest

from plugin.crm.demo_org import demo_module_payloads

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
DIRECT_ONLY = next(m["id"] for m in demo_module_payloads()
                   if not m.get("for_partners") and m["status"] == "published"
                   and "{{" in m["body"])
FOR_PARTNERS = {m["id"] for m in demo_module_payloads() if m.get("for_partners")}


def pick(client, identity: str) -> None:
    page = client.get("/demo/identity").get_data(as_text=True)
    client.post("/demo/identity", data={"role": identity, "csrf_token": CSRF.search(page)[1]})


@pytest.fixture
def partner(demo_app):
    client = demo_app.test_client()
    pick(client, "partner_rep")
    return client


@pytest.fixture
def opportunity(demo_opportunities):
    return demo_opportunities[0].opportunity_id


def shown_ids(payload) -> set[str]:
    return {c["module_id"] for key in ("client_facing", "internal") for c in payload[key]}


def test_the_partner_rep_is_recommended_partner_content_only(partner, opportunity):
    answer = partner.get(f"/api/v1/opportunities/{opportunity}/recommendations")
    assert answer.status_code == 200
    shown = shown_ids(answer.get_json())
    assert shown and shown <= FOR_PARTNERS


def test_the_direct_rep_still_sees_everything(demo_app, opportunity):
    client = demo_app.test_client()
    pick(client, "rep")
    shown = shown_ids(client.get(f"/api/v1/opportunities/{opportunity}/recommendations").get_json())
    assert shown - FOR_PARTNERS


def test_the_partner_panel_page_shows_partner_cards_only(partner, opportunity):
    page = partner.get(f"/panel/{opportunity}").get_data(as_text=True)
    cards = set(re.findall(r'data-module-id="([^"]+)"', page))
    assert cards and cards <= FOR_PARTNERS


def test_the_partner_search_finds_partner_content_only(partner, demo_app, opportunity):
    results = partner.get(f"/api/v1/opportunities/{opportunity}/search?q=customer").get_json()
    found = {r["module_id"] for r in results["results"]}
    assert found and found <= FOR_PARTNERS


def test_a_partner_cannot_reach_a_module_that_is_not_for_partners_by_its_id(partner, opportunity):
    for url in (f"/api/v1/modules/{DIRECT_ONLY}",
                f"/panel/{opportunity}/modules/{DIRECT_ONLY}",
                f"/api/v1/modules/{DIRECT_ONLY}/personalised?opportunity={opportunity}",
                f"/api/v1/modules/{DIRECT_ONLY}/personalised.md?opportunity={opportunity}",
                f"/api/v1/modules/{DIRECT_ONLY}/personalised.docx?opportunity={opportunity}",
                f"/api/v1/modules/{DIRECT_ONLY}/personalised.pdf?opportunity={opportunity}"):
        assert partner.get(url).status_code == 404, url
    one_for_partners = sorted(FOR_PARTNERS)[0]
    assert partner.get(f"/api/v1/modules/{one_for_partners}").status_code == 200


def test_the_app_token_carries_whether_its_user_is_a_partner(demo_app, opportunity):
    signer = demo_app.extensions["be_inspired"].app_tokens
    org = demo_app.extensions["be_inspired"].demo_org.org_id
    partner = signer.issue(org, "0055e00000JAMIOAA5", opportunity, partner=True)
    direct = signer.issue(org, "0055e00000DEMOLAA5", opportunity)
    assert signer.verify(partner).partner is True
    assert signer.verify(direct).partner is False


@pytest.mark.parametrize("user_type, partner", [
    ("PowerPartner", True), ("POWER_PARTNER", True), ("Partner", True), ("STANDARD", False),
    ("Standard", False), ("PowerCustomerSuccess", False), (None, False), (json, False),
])
def test_which_salesforce_user_types_are_partners(user_type, partner):
    from plugin.panel.partner_viewers import is_partner_user_type
    assert is_partner_user_type(user_type) is partner
