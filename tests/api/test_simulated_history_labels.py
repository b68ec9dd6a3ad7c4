"""The demo's simulated history is labelled wherever its figures are shown: the analytics pages,
a module's page and the analytics API."""
from __future__ import annotations

import pytest

from plugin.app import create_app
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.learning.demo_history import seed_demo_history
from plugin.settings import Settings
from tests.api.conftest import TODAY

WEEKS = 3


@pytest.fixture(scope="module")
def simulated_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("simulated") / "demo.sqlite3"
    app = create_app(Settings(demo_mode=True, database_url=f"sqlite:///{path}"),
                     today=lambda: TODAY)
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    seed_demo_history(svc.sessions, svc.taxonomy, today=TODAY, weeks=WEEKS, seed=5,
                      views_per_week=15)
    yield app
    svc.engine.dispose()


def shown_module(client) -> str:
    return client.get("/api/v1/analytics/modules").get_json()["modules"][0]["module_id"]


def test_the_analytics_page_says_its_figures_are_simulated(simulated_app):
    page = simulated_app.test_client().get("/workspace/analytics").get_data(as_text=True)
    assert 'data-testid="simulated-notice"' in page
    assert f"Demo data: {WEEKS} simulated weeks" in page
    assert "simulated reps on made-up opportunities" in page


def test_a_modules_analytics_page_says_so_too(simulated_app):
    client = simulated_app.test_client()
    page = client.get(f"/workspace/analytics/{shown_module(client)}").get_data(as_text=True)
    assert f"Demo data: {WEEKS} simulated weeks" in page


def test_the_analytics_api_flags_simulated_figures(simulated_app):
    client = simulated_app.test_client()
    overview = client.get("/api/v1/analytics/modules").get_json()
    assert overview["simulated"] is True
    history = overview["simulated_history"]
    assert history["label"] == f"Demo data: {WEEKS} simulated weeks"
    assert history["simulated_impressions"] == history["impressions"] > 0
    one = client.get(f"/api/v1/analytics/modules/{shown_module(client)}").get_json()
    assert one["simulated"] is True


def test_real_figures_carry_no_simulated_label(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/api/v1/analytics/modules").get_json()["simulated"] is False
    assert "simulated-notice" not in client.get("/workspace/analytics").get_data(as_text=True)


def test_the_coverage_map_says_its_suggestion_counts_include_simulated_weeks(simulated_app):
    client = simulated_app.test_client()
    page = client.get("/workspace/coverage").get_data(as_text=True)
    assert f"Demo data: {WEEKS} simulated weeks" in page
    answer = client.get("/api/v1/coverage").get_json()
    assert answer["simulated"] is True and answer["simulated_weeks"] == WEEKS


def test_the_labels_read_from_the_roll_ups_say_the_same(simulated_app):
    """``load-demo`` rolls the demo org up after seeding: the label and counts then come from
    the roll-ups' simulated rows, and are those read raw."""
    client = simulated_app.test_client()
    module = shown_module(client)
    paths = ["/api/v1/analytics/modules", f"/api/v1/analytics/modules/{module}",
             "/api/v1/analytics/modules?window=30"]
    raw = [client.get(path).get_json() for path in paths]
    svc = simulated_app.extensions["be_inspired"]
    svc.analytics_rollups.rebuild(DEMO_ORG_ID)
    rolled = [client.get(path).get_json() for path in paths]
    assert all(body["rolled_up_until"] for body in rolled)
    assert [body["simulated_history"] for body in rolled] == [
        body["simulated_history"] for body in raw]
    assert rolled[0]["simulated_history"]["simulated_impressions"] > 0
