"""The panel as Salesforce opens it: a signed request POSTed into an iframe, then app-token calls."""
from __future__ import annotations

import re

import pytest

from content_catalog.repository import CatalogRepository, ensure_org
from tests.canvas.conftest import OPPORTUNITY_ID, ORG_ID, query_calls, sign_canvas, token_of
from plugin.crm.salesforce.context_cache import CacheKey
from tests.plugin.crm.salesforce.sf_fakes import VIEWER_ID, load_json


def post(client, signed_request):
    return client.post("/canvas", data={"signed_request": signed_request})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- the panel ----------------------------------------------------------------------------------
def test_signed_request_opens_the_panel_with_suggestions_for_the_live_opportunity(client, signed, opportunity_answers, salesforce):
    opportunity_answers()
    response = post(client, signed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(re.findall(r'class="slds-item bi-suggestion"', html)) >= 3
    assert "Buying phase" in html  # Proposal/Price Quote, mapped through the stage → phase table
    assert query_calls(salesforce) == 1
    (call,) = salesforce.calls
    assert call.request.headers["Authorization"] == "Bearer 00D5e000001AcmE!AQ0AQViewingUsersOwnToken"


def test_panel_is_framable_only_by_the_orgs_salesforce_hosts(client, signed, opportunity_answers):
    opportunity_answers()
    policy = post(client, signed).headers["Content-Security-Policy"]
    ancestors = policy.split("frame-ancestors ")[1].split(";")[0].split()
    assert ancestors == [
        "https://acme.my.salesforce.com",
        "https://acme.lightning.force.com",
        "https://acme--c.vf.force.com",
    ]


def test_panel_sets_no_cookie_and_is_not_cached(client, signed, opportunity_answers):
    opportunity_answers()
    response = post(client, signed)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_opening_the_same_record_again_costs_no_api_call(client, signed, opportunity_answers, salesforce):
    opportunity_answers()
    post(client, signed)
    again = post(client, signed)
    assert again.status_code == 200 and "bi-suggestion" in again.get_data(as_text=True)
    assert query_calls(salesforce) == 1


def test_record_id_from_lightning_parameters_is_used_when_record_is_empty(client, canvas_payload, opportunity_answers, salesforce):
    canvas_payload["context"]["environment"]["record"] = {}
    canvas_payload["context"]["environment"]["parameters"] = {"recordId": OPPORTUNITY_ID}
    opportunity_answers()
    assert post(client, sign_canvas(canvas_payload)).status_code == 200
    assert OPPORTUNITY_ID in salesforce.calls[0].request.url


# -- refusals: nothing rendered from an unverified payload --------------------------------------
@pytest.mark.parametrize("mutate, status, reason", [
    (lambda p: sign_canvas(p, "wrong-secret"), 401, "signature"),
    (lambda p: sign_canvas(p).split(".")[0] + "." + sign_canvas({**p, "userId": "0055e000009EviLAAS"}).split(".")[1], 401, "signature"),
    (lambda p: sign_canvas({**p, "context": {**p["context"], "organization": {**p["context"]["organization"], "organizationId": "00D5e000009OthREAS"}}}), 401, "not configured"),
    (lambda p: "%%%." + sign_canvas(p).split(".")[1], 400, "Base64"),
    (lambda p: sign_canvas({**p, "algorithm": "none"}), 400, "HMACSHA256"),
    (lambda p: "no-dot-at-all", 400, "signature"),
])  # fmt: skip
def test_bad_signed_requests_are_refused_with_a_short_reason(client, canvas_payload, salesforce, mutate, status, reason):
    response = post(client, mutate(canvas_payload))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert reason.lower() in html.lower()
    assert "Robin Rep" not in html and "rep@acme.example" not in html
    assert query_calls(salesforce) == 0
    assert "data-app-token" not in html


def test_missing_signed_request_is_400(client):
    assert client.post("/canvas", data={}).status_code == 400


def test_oversized_signed_request_is_refused(client, canvas_payload):
    canvas_payload["context"]["environment"]["parameters"] = {"padding": "x" * 70_000}
    assert post(client, sign_canvas(canvas_payload)).status_code == 413


def test_signed_request_without_an_opportunity_explains_where_the_panel_belongs(client, canvas_payload, salesforce):
    canvas_payload["context"]["environment"]["record"] = {}
    response = post(client, sign_canvas(canvas_payload))
    assert response.status_code == 400
    assert "Opportunity record pages" in response.get_data(as_text=True)
    assert query_calls(salesforce) == 0


# -- failures of Salesforce end in a rendered panel ---------------------------------------------
def test_salesforce_down_still_renders_general_suggestions_and_says_so(client, signed, opportunity_answers, salesforce, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)  # the retry's back-off
    opportunity_answers(load_json("error_server.json"), status=503, times=2)
    response = post(client, signed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Salesforce data unavailable, showing general suggestions" in html
    assert "bi-suggestion" in html
    assert query_calls(salesforce) == 2  # one retry, then give up


def test_request_limit_serves_the_panel_and_stops_calling_salesforce(client, signed, opportunity_answers, salesforce):
    opportunity_answers(load_json("error_request_limit.json"), status=403)
    first = post(client, signed)
    second = post(client, signed)
    assert first.status_code == second.status_code == 200
    assert "Salesforce data unavailable" in second.get_data(as_text=True)
    assert query_calls(salesforce) == 1


def test_expired_user_token_asks_for_a_reload(client, signed, opportunity_answers):
    opportunity_answers(load_json("error_invalid_session.json"), status=401)
    response = post(client, signed)
    assert response.status_code == 401
    assert "Reload the page" in response.get_data(as_text=True)


# -- the app token on later calls ---------------------------------------------------------------
def test_app_token_fetches_recommendations_for_its_record_without_a_new_api_call(client, signed, opportunity_answers, salesforce):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["client_facing"]
    assert query_calls(salesforce) == 1


def test_app_token_for_one_record_cannot_read_another(client, signed, opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get("/api/v1/opportunities/0065e00000ZzZzZAAV/recommendations", headers=bearer(token))
    assert response.status_code == 403


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic abc", "Bearer " + "a" * 5000])
def test_bad_or_missing_tokens_are_401_json(client, header):
    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations", headers={"Authorization": header})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorised"


def test_tampered_token_is_refused(client, signed, opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    payload, rest = token.rsplit(".", 2)[0], token.rsplit(".", 2)[1:]
    forged = ".".join([payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], *rest])
    assert client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations", headers=bearer(forged)).status_code == 401


def test_cold_cache_with_only_an_app_token_asks_the_page_to_refresh(acme_app, client, signed, opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    # The cached context is gone (its TTL passed); the token alone cannot fetch it again.
    acme_app.extensions["be_inspired"].orgs.current().connector.cache.delete(CacheKey(ORG_ID, OPPORTUNITY_ID, VIEWER_ID))
    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "session_refresh_needed"


def test_modules_open_with_the_app_token_and_only_from_the_tokens_org(acme_app, client, signed, opportunity_answers, module_factory):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    svc = acme_app.extensions["be_inspired"]
    other_org = "00D5e000009OthREAS"
    with svc.sessions.begin() as session:
        ensure_org(session, other_org, "Other Corp")
        CatalogRepository(session, other_org).upsert_many([module_factory("other-orgs-secret-playbook")])
    acme_module = client.get("/api/v1/modules/" + _any_published_key(svc), headers=bearer(token))
    assert acme_module.status_code == 200 and "body_html" in acme_module.get_json()
    foreign = client.get("/api/v1/modules/other-orgs-secret-playbook", headers=bearer(token))
    assert foreign.status_code == 404


def _any_published_key(svc) -> str:
    with svc.sessions() as session:
        return CatalogRepository(session, ORG_ID).published()[0].key


# -- what admins are told -----------------------------------------------------------------------
def test_request_limit_and_api_usage_are_kept_for_admins(acme_app, client, signed, opportunity_answers, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from plugin.cli import main

    opportunity_answers()  # a successful call reports usage (Sforce-Limit-Info: 18/15000)
    post(client, signed)
    svc = acme_app.extensions["be_inspired"]
    svc.orgs.current().connector.cache.delete(CacheKey(ORG_ID, OPPORTUNITY_ID, VIEWER_ID))
    opportunity_answers(load_json("error_request_limit.json"), status=403)
    post(client, signed)

    settings = svc.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BEINSPIRED_ENCRYPTION_KEYS", settings.encryption_keys)
    shown = CliRunner().invoke(main, ["org", "status", ORG_ID])
    assert shown.exit_code == 0, shown.output
    assert "18 of 15,000 daily requests" in shown.output
    assert "limit_exceeded" in shown.output


def test_a_failing_activity_store_never_costs_the_rep_a_panel(acme_app, client, signed, opportunity_answers, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr("plugin.orgs.health_events.OrgActivityRepository.set_usage", broken)
    opportunity_answers()
    response = post(client, signed)
    assert response.status_code == 200 and "bi-suggestion" in response.get_data(as_text=True)
