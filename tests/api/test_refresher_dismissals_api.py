"""``POST /api/v1/refreshers/dismissals`` and the panel's refresher card: the demo rep's HIPAA
refresher is back on St. Aldric with why; dismissed, it is gone for good; anything else is a
specific 4xx that changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from content_catalog.tables.learning_tables import RefresherDismissalRow
from plugin.crm.demo_org import load_demo_catalog
from plugin.learning.demo_refreshers import DEMO_USES, seed_demo_refreshers
from plugin.web.identity import DEMO_USER_ID
from tests.api.conftest import TODAY

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
