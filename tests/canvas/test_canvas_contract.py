"""The Salesforce contract inside Canvas (issue 13): whose token reads Salesforce, which record a
panel token opens, and which instance a signed request may name. Salesforce is faked at HTTP."""
from __future__ import annotations

from tests.canvas.conftest import OPPORTUNITY_ID, query_calls, token_of
from tests.plugin.crm.salesforce.sf_fakes import load_json

OTHER_OPPORTUNITY = "0065e00000ZzZzZAAV"


def post(client, signed_request):
    return client.post("/canvas", data={"signed_request": signed_request})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- defect 2: the panel page checks which record its token was issued for -----------------------
def test_panel_page_refuses_a_token_issued_for_another_record(client, signed, opportunity_answers,
                                                              salesforce):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    calls = query_calls(salesforce)

    response = client.get(f"/panel/{OTHER_OPPORTUNITY}", headers=bearer(token))

    assert response.status_code == 403
    assert "another record" in response.get_data(as_text=True)
    assert query_calls(salesforce) == calls  # nothing read, so nothing shown or counted for B


def test_panel_module_page_refuses_a_token_issued_for_another_record(client, signed,
                                                                     opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get(f"/panel/{OTHER_OPPORTUNITY}/modules/any-module", headers=bearer(token))
    assert response.status_code == 403


def test_panel_page_still_opens_for_the_tokens_own_record(client, signed, opportunity_answers):
    opportunity_answers()
    token = token_of(post(client, signed).get_data(as_text=True))
    response = client.get(f"/panel/{OPPORTUNITY_ID}", headers=bearer(token))
    assert response.status_code == 200


# -- defect 3: a panel shown without data tells its later calls so, not "session expired" --------
def test_later_calls_of_a_panel_opened_without_data_say_so_instead_of_session_expired(
        client, signed, opportunity_answers, salesforce):
    opportunity_answers(load_json("error_malformed_unrelated.json"), status=400)
    panel = post(client, signed)
    assert panel.status_code == 200
    token = token_of(panel.get_data(as_text=True))

    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations",
                          headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json()["notice"] == ("Salesforce data was unavailable when this panel "
                                             "opened, showing general suggestions")
    assert response.get_json()["client_facing"]
    assert query_calls(salesforce) == 1  # the token alone never reads Salesforce


def test_a_malformed_query_naming_the_contact_roles_still_shows_the_opportunitys_panel(
        client, signed, opportunity_answers, salesforce):
    opportunity_answers(load_json("error_malformed_contact_roles.json"), status=400)
    opportunity_answers(load_json("opportunity_no_roles.json"))
    panel = post(client, signed)
    token = token_of(panel.get_data(as_text=True))
    response = client.get(f"/api/v1/opportunities/{OPPORTUNITY_ID}/recommendations",
                          headers=bearer(token))
    assert response.status_code == 200 and response.get_json().get("notice") is None
    assert query_calls(salesforce) == 2  # the refusal and the retry; the follow-up is cached
