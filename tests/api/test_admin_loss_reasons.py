"""The admin's loss reason list: shown, saved in order, refused whole when a line is wrong, and
reps' reviews then offer exactly that list."""
from __future__ import annotations

import re

import pytest

from content_catalog.loss_reviews import LossReasons
from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.settings import Settings
from tests.api.conftest import TODAY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(tmp_path):
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'reasons.sqlite3'}")
    app = create_app(settings, today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    yield app
    svc.engine.dispose()


@pytest.fixture
def admin(app):
    return as_role(app, "admin")


def as_role(app, role: str):
    """A client the demo picker made ``role`` (the test client asks from loopback)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["demo_role"] = role
    return client


def listed(app):
    with app.extensions["be_inspired"].sessions() as session:
        return [r.label for r in LossReasons(session, DEMO_ORG_ID).listed()]


def test_the_page_shows_the_default_reasons_one_per_line(admin):
    page = admin.get("/admin/loss-reasons").get_data(as_text=True)
    assert "Price\nLost to a competitor\nNo decision / status quo" in page


def test_saving_replaces_the_list_in_order_and_reviews_offer_it(app, admin):
    token = CSRF.search(admin.get("/admin/loss-reasons").get_data(as_text=True)).group(1)
    response = admin.post("/admin/loss-reasons", data={
        "csrf_token": token, "reasons": "Timing\n\n  Price  \nBudget frozen mid-deal\n"})
    assert response.status_code == 302
    assert listed(app) == ["Timing", "Price", "Budget frozen mid-deal"]
    offered = admin.get("/api/v1/opportunities/006Dn0000LygderIQA/loss-review").get_json()
    assert [r["label"] for r in offered["choices"]["reasons"]] == listed(app)


@pytest.mark.parametrize("text", ["Price", "Price\nprice", "Price\n" + "x" * 61,
                                  "\n".join(f"Reason {n}" for n in range(16)), "Price\nBad\x07bell"])
def test_a_wrong_list_is_refused_whole(app, admin, text):
    token = CSRF.search(admin.get("/admin/loss-reasons").get_data(as_text=True)).group(1)
    response = admin.post("/admin/loss-reasons", data={"csrf_token": token, "reasons": text})
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.get_data(as_text=True)
    assert listed(app)[:2] == ["Price", "Lost to a competitor"]


def test_only_admins_edit_the_list(app):
    rep = as_role(app, "rep")
    assert rep.get("/admin/loss-reasons").status_code == 403
