"""``POST /api/v1/refreshers/dismissals`` and the panel's refresher card: the demo rep's HIPAA
refresher is back on St. Aldric with why; dismissed, it is gone for good; anything else is a
specific 4xx that changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from content_catalog.repository import CatalogRepository, ensure_org
from content_catalog.tables.learning_tables import RefresherDismissalRow
from content_catalog.taxonomy import Audience, ModuleKind
from plugin.crm.demo_org import load_demo_catalog
from plugin.learning.demo_refreshers import DEMO_USES, seed_demo_refreshers
from plugin.web.identity import DEMO_USER_ID
from tests.api.conftest import TODAY
from tests.plugin.access.access_fixtures import OTHER_ORG, make_app
from tests.plugin.crm.salesforce.sf_fakes import OPPORTUNITY_ID, ORG_ID, VIEWER_ID

URL = "/api/v1/refreshers/dismissals"
ST_ALDRIC = "006Dn0000kl0JfIIAU"
REFRESHER = DEMO_USES[0].module_key


@pytest.fixture
def app(fresh_app):
    svc = fresh_app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    assert seed_demo_refreshers(svc.sessions, svc.taxonomy, DEMO_USER_ID, TODAY) == 1
    assert seed_demo_refreshers(svc.sessions, svc.taxonomy, DEMO_USER_ID, TODAY) == 0  # once
    return fresh_app


@pytest.fixture
def client(app):
    return app.test_client()


def dismissals(app) -> int:
    with app.extensions["be_inspired"].sessions() as session:
        return session.scalar(select(func.count()).select_from(RefresherDismissalRow))


def test_the_panel_says_why_it_is_back_and_a_dismissal_removes_it_for_good(app, client):
    html = client.get(f"/panel/{ST_ALDRIC}").get_data(as_text=True)
    assert "You opened this 9 days ago; a second look now helps it stick" in html
    assert f'data-dismiss-refresher="{REFRESHER}"' in html

    first = client.post(URL, json={"module_id": REFRESHER})
    again = client.post(URL, json={"module_id": REFRESHER})

    assert (first.status_code, first.json) == (201, {"module_id": REFRESHER, "dismissed": True})
    assert (again.status_code, again.json) == (200, {"module_id": REFRESHER, "dismissed": True})
    assert dismissals(app) == 1
    html = client.get(f"/panel/{ST_ALDRIC}").get_data(as_text=True)
    assert "a second look now helps it stick" not in html
    assert "data-dismiss-refresher" not in html
    assert f'data-module-id="{REFRESHER}"' not in html  # not shown to this rep at all


@pytest.mark.parametrize("body, status", [
    ({"module_id": "cs-st-aldric-compliance"}, 404),  # not a refresher (or no such module)
    ({"module_id": "no-such-refresher"}, 404),
    ({"module_id": "Not A Key"}, 400),
    ({"module_id": 12}, 400),
    ({"module_id": REFRESHER, "user_id": "005000000000001"}, 400),  # nobody dismisses for others
    ({}, 400),
    ([REFRESHER], 400),
])
def test_anything_but_one_refresher_id_is_refused_and_changes_nothing(app, client, body, status):
    response = client.post(URL, json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]
    assert dismissals(app) == 0


def test_not_json_is_refused(app, client):
    response = client.post(URL, data="module_id=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert dismissals(app) == 0


def test_an_unknown_app_token_is_refused(app, client):
    response = client.post(URL, json={"module_id": REFRESHER},
                           headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert dismissals(app) == 0


# -- outside demo mode: the panel's app token ------------------------------------------------------
@pytest.fixture
def acme(tmp_path, module_factory):
    """Acme and Globex configured; Acme's catalog has one training refresher."""
    app = make_app(tmp_path / "dismissals.sqlite3")
    svc = app.extensions["be_inspired"]
    with svc.sessions.begin() as session:
        ensure_org(session, ORG_ID, "Acme Corp")
        ensure_org(session, OTHER_ORG, "Globex")
        CatalogRepository(session, ORG_ID).upsert_many([module_factory(
            "acme-refresher", kind=ModuleKind.TRAINING_REFRESHER, audience=Audience.INTERNAL)])
    yield app
    svc.engine.dispose()


def token_for(app, org_id=ORG_ID) -> dict[str, str]:
    token = app.extensions["be_inspired"].app_tokens.issue(org_id, VIEWER_ID, OPPORTUNITY_ID,
                                                           ttl=600)
    return {"Authorization": f"Bearer {token}"}


def test_with_an_app_token_the_dismissal_is_the_token_users_in_its_org(acme):
    response = acme.test_client().post(URL, json={"module_id": "acme-refresher"},
                                       headers=token_for(acme))
    assert response.status_code == 201, response.get_data(as_text=True)
    with acme.extensions["be_inspired"].sessions() as session:
        rows = session.execute(select(RefresherDismissalRow.org_id, RefresherDismissalRow.user_id,
                                      RefresherDismissalRow.module_key)).all()
    assert [tuple(r) for r in rows] == [(ORG_ID, VIEWER_ID, "acme-refresher")]


@pytest.mark.parametrize("headers, status", [
    ("globex", 404),  # another org's refresher looks like none
    ({}, 401),  # outside demo mode no token, no caller
    ({"Authorization": "Bearer not-a-token"}, 401),
])
def test_without_this_orgs_app_token_nothing_is_dismissed(acme, headers, status):
    headers = token_for(acme, OTHER_ORG) if headers == "globex" else headers
    response = acme.test_client().post(URL, json={"module_id": "acme-refresher"},
                                       headers=headers)
    assert response.status_code == status
    assert dismissals(acme) == 0
