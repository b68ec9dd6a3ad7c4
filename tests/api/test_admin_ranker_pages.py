"""The admin console's Learned ranker page: what the panel serves, training now, serving an
earlier version or the tag rules; the panel follows at once; bad versions are refused and change
nothing; admins only, their own org only, with the CSRF token."""
from __future__ import annotations

import html
import logging
import threading
from urllib.parse import parse_qs, urlsplit
from datetime import datetime, timedelta, timezone

import pytest

from content_catalog.model_store import RankerModels
from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import ensure_org
from plugin.web.identity import Role
from plugin.learning.outcome_sync import FAILED_EVENT, SYNCED_EVENT
from plugin.ranking.served_models import MODEL_FAILED_EVENT
from plugin.learning.training import TRAINING_FAILED_EVENT
from plugin.learning.job_queue import TRAINING, InProcessJobQueue
from recommender.learning import LearnedRanker
from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    GLOBEX,
    admin_app,
    admin_of,
    console,
    open_console,
    sign_in,
)
from tests.plugin.model_fixtures import BUYING, GEM, SHOWN_BY_V1, buying_catalog, log_views, publish

PAGE = "/admin/ranker"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def train(console, svc) -> str:
    """Train now, as an admin clicks it: the page follows the job; returns the page once the
    job has finished."""
    response = console.form(f"{PAGE}/train", {})
    assert response.status_code == 302, text(response)[:500]
    location = response.headers["Location"]
    job_id = parse_qs(urlsplit(location).query)["job"][0]
    assert svc.jobs.wait(job_id).finished
    page = text(console.get(location))
    assert 'http-equiv="refresh"' not in page
    return page


def page_after(console, response) -> str:
    """The page a form's redirect leads to, with its flash message."""
    assert response.status_code == 302, text(response)[:500]
    assert response.headers["Location"].endswith(PAGE)
    return text(console.get(PAGE))


@pytest.fixture
def svc(admin_app, module_factory):
    """Acme's catalog, with 20 logged views in which reps found the gem helpful every time."""
    services = admin_app.extensions["be_inspired"]
    publish(services, *buying_catalog(module_factory), org_id=ACME)
    return services


@pytest.fixture
def history(svc):
    log_views(svc, (*SHOWN_BY_V1[:4], GEM), GEM, views=20, org_id=ACME,
              first_day=svc.today() - timedelta(days=10))


def stored(svc, org_id: str = ACME) -> list[tuple[int, bool]]:
    with svc.sessions() as session:
        return [(v.version, v.active) for v in RankerModels(session, org_id).versions()]


def model_ids(svc) -> dict[int, str]:
    with svc.sessions() as session:
        return {v.version: v.model_id for v in RankerModels(session, ACME).versions()}


def versions_on_cards(svc) -> set[str]:
    """What the panel's cards carry, from this app process's own (cached) ranker."""
    panel = svc.recommendations.recommend(ACME, BUYING, svc.today())
    return {card.model_version for card in panel.client_facing}


def test_without_a_model_the_page_says_the_tag_rules_serve(console, svc):
    page = text(console.get(PAGE))
    assert "Learned ranker" in page and "docs/learning.md" in page
    assert 'data-testid="serving" data-version="v1"' in page
    assert "The tag rules (v1)" in page and "No version has been trained yet" in page
    assert 'data-testid="no-versions"' in page
    assert 'data-testid="serve-rules"' not in page and 'data-testid="train"' in page
    assert "Last deal-outcome sync" in page and "none recorded" in page
    assert "Last training" in page


def test_the_console_navigation_leads_to_the_page(console, svc):
    assert f'href="{PAGE}"' in text(console.get("/admin/roles"))


def test_training_without_history_says_there_is_nothing_to_learn_and_stores_nothing(console, svc):
    page = train(console, svc)
    assert "Nothing stored" in page and "nothing to learn yet" in page
    assert "serving v1" in page
    assert stored(svc) == []


def test_training_serves_version_1_then_version_2(console, svc, history):
    page = train(console, svc)
    assert f"Trained: org {ACME}: version 1 (learned-" in page
    assert "100 impressions in 20 views, 20 rewarded" in page
    assert 'data-version="1"' in page and "100 suggestions shown in 20 panel views" in page
    assert "20.0% of those suggestions" in page
    assert stored(svc) == [(1, True)]

    page = train(console, svc)
    assert f"org {ACME}: version 2 (learned-" in page
    assert stored(svc) == [(2, True), (1, False)]
    assert page.count('data-testid="version-row"') == 2
    assert page.index('data-version="2"') < page.index('data-version="1"')  # newest first
    assert page.count('data-testid="serve-version"') == 1  # only on the inactive one
    assert f'action="{PAGE}/versions/1/serve"' in page
    assert 'data-testid="serve-rules"' in page
    last = page.split('data-testid="last-training">', 1)[1].split("</dd>", 1)[0]
    assert f"org {ACME}: version 2 (learned-" in last and "failed" not in last


def test_serving_an_earlier_version_reaches_the_panel_without_a_restart(console, svc, history):
    rules = versions_on_cards(svc)
    train(console, svc)
    train(console, svc)
    ids = model_ids(svc)
    assert ids[1] != ids[2]
    assert versions_on_cards(svc) == {ids[2]}

    page = page_after(console, console.form(f"{PAGE}/versions/1/serve", {}))
    assert f"The panel now serves version 1 ({ids[1]})" in page
    assert 'data-testid="serving" data-version="1"' in page
    assert stored(svc) == [(2, False), (1, True)]
    assert versions_on_cards(svc) == {ids[1]}

    page = page_after(console, console.form(f"{PAGE}/off", {}))
    assert "Version 1 switched off" in page and "No version is switched on" in page
    assert stored(svc) == [(2, False), (1, False)]
    assert versions_on_cards(svc) == rules != {ids[1]}

    page = page_after(console, console.form(f"{PAGE}/off", {}))
    assert "No version was being served" in page


@pytest.mark.parametrize("version, status, message", [
    ("7", 404, f"org {ACME} has no model version 7 (stored: 2, 1). Nothing changed."),
    ("0", 404, "has no model version 0"),
    ("two", 400, "“two” is not a version number"),
    ("-1", 400, "“-1” is not a version number"),
    ("1.0", 400, "“1.0” is not a version number"),
    ("9" * 12, 400, "is not a version number"),
])
def test_a_bad_version_is_refused_and_changes_nothing(console, svc, history, version, status,
                                                     message):
    train(console, svc)
    train(console, svc)
    response = console.form(f"{PAGE}/versions/{version}/serve", {})
    assert response.status_code == status
    assert message in text(response)
    assert stored(svc) == [(2, True), (1, False)]


def test_the_page_says_when_the_catalog_changed_after_training(console, svc, history,
                                                               module_factory):
    train(console, svc)
    assert "the catalog as it is now" in text(console.get(PAGE))
    publish(svc, module_factory("g-new", tags={"journey_phase": "buying"}), org_id=ACME)
    page = text(console.get(PAGE))
    assert "the catalog has changed since" in page and "the catalog as it is now" not in page


def test_the_last_outcome_sync_and_model_failure_are_shown_however_many_events_follow(
    console, svc
):
    start = datetime.now(timezone.utc) - timedelta(hours=3)
    with svc.sessions.begin() as session:
        activity = OrgActivityRepository(session, ACME)
        activity.add_event(FAILED_EVENT, "deal outcomes: failed: Salesforce is down", start)
        activity.add_event(SYNCED_EVENT, "deal outcomes: 3 won, 1 lost", start + timedelta(hours=1))
        activity.add_event(MODEL_FAILED_EVENT, "The learned ranker (model version 4) could not be "
                           "loaded", start + timedelta(hours=1))
        for minute in range(25):
            activity.add_event("test_failed", "connection test: refused",
                               start + timedelta(hours=2, minutes=minute))
        ensure_org(session, GLOBEX, "Globex")
        OrgActivityRepository(session, GLOBEX).add_event(
            FAILED_EVENT, "deal outcomes: Globex's failure", start + timedelta(hours=2))
    page = text(console.get(PAGE))
    assert "deal outcomes: 3 won, 1 lost" in page
    assert "Salesforce is down" not in page and "Globex" not in page
    assert "Last model failure" in page and "(model version 4) could not be loaded" in page


def test_another_orgs_versions_are_neither_shown_nor_served(console, svc, history, admin_app,
                                                            sign_in):
    train(console, svc)
    sign_in(admin_of(GLOBEX))
    globex = open_console(admin_app)
    page = text(globex.get(PAGE))
    assert 'data-testid="no-versions"' in page and model_ids(svc)[1] not in page
    response = globex.form(f"{PAGE}/versions/1/serve", {})
    assert response.status_code == 404 and "has no model version 1" in text(response)
    page_after(globex, globex.form(f"{PAGE}/off", {}))
    assert stored(svc) == [(1, True)] and stored(svc, GLOBEX) == []


def test_forms_need_the_csrf_token(console, svc, history):
    train(console, svc)
    train(console, svc)
    for url in (f"{PAGE}/train", f"{PAGE}/versions/1/serve", f"{PAGE}/off"):
        assert console.form(url, {}, csrf=False).status_code == 400, url
    assert stored(svc) == [(2, True), (1, False)]


@pytest.mark.parametrize("role", [Role.REP, Role.ENABLEMENT])
def test_reps_and_enablement_leads_are_refused(console, svc, history, sign_in, role):
    train(console, svc)
    train(console, svc)
    sign_in(admin_of(ACME, role))
    assert console.get(PAGE).status_code == 403
    for url in (f"{PAGE}/train", f"{PAGE}/versions/1/serve", f"{PAGE}/off"):
        assert console.form(url, {}).status_code == 403, url
    assert stored(svc) == [(2, True), (1, False)]


def test_after_a_rollback_train_now_stores_a_version_without_serving_it(console, svc, history):
    train(console, svc)
    train(console, svc)
    console.form(f"{PAGE}/versions/1/serve", {})

    page = train(console, svc)

    assert f"Trained, not served: org {ACME}: stored version 3 (learned-" in page
    assert "not served: an admin chose version 1" in page
    assert f"beinspired model rollback --org {ACME} --to 3" in page
    assert 'data-testid="serving" data-version="1"' in page
    assert stored(svc) == [(3, False), (2, False), (1, True)]
    last = page.split('data-testid="last-training">', 1)[1].split("</dd>", 1)[0]
    assert "stored version 3" in last and "an admin chose version 1" in last


def test_a_failing_training_is_logged_told_to_admins_and_changes_nothing(
    console, svc, history, monkeypatch, caplog
):
    train(console, svc)

    def broken_fit(self, *args, **kwargs):
        raise MemoryError("the fit ran out of memory")

    monkeypatch.setattr(LearnedRanker, "fit", broken_fit)
    with caplog.at_level(logging.ERROR, logger="plugin.learning.training"):
        page = train(console, svc)

    assert "Training failed, nothing changed" in page
    assert "MemoryError: the fit ran out of memory" in page
    last = page.split('data-testid="last-training">', 1)[1].split("</dd>", 1)[0]
    assert "failed" in last and "the fit ran out of memory" in last
    assert stored(svc) == [(1, True)]
    with svc.sessions() as session:
        event = OrgActivityRepository(session, ACME).last_event((TRAINING_FAILED_EVENT,))
    assert event is not None and "the fit ran out of memory" in event.message
    (record,) = [r for r in caplog.records if "training failed" in r.getMessage()]
    assert record.exc_info is not None and ACME in record.getMessage()


def test_the_page_follows_a_training_job_until_it_is_done(console, svc, history):
    release = threading.Event()
    handlers = dict(svc.job_handlers)
    train_now = handlers[TRAINING]
    handlers[TRAINING] = lambda **params: (release.wait(30), train_now(**params))[1]
    svc.jobs = InProcessJobQueue(handlers)
    location = console.form(f"{PAGE}/train", {}).headers["Location"]

    waiting = text(console.get(location))
    assert 'http-equiv="refresh" content="2"' in waiting
    state = "queued" if 'data-state="queued"' in waiting else "running"  # the thread's pace
    assert f'data-testid="training-job" data-state="{state}"' in waiting
    assert ("This page refreshes itself every 2 seconds." in waiting
            and ("waiting for a worker" if state == "queued" else "is running") in waiting)
    assert stored(svc) == []

    release.set()
    job_id = parse_qs(urlsplit(location).query)["job"][0]
    assert svc.jobs.wait(job_id).state == "done"
    done = text(console.get(location))
    assert 'http-equiv="refresh"' not in done
    assert 'data-state="done"' in done and f"Trained: org {ACME}: version 1 (learned-" in done
    assert stored(svc) == [(1, True)]


def test_another_orgs_training_job_is_not_shown(console, svc, history, admin_app, sign_in):
    location = console.form(f"{PAGE}/train", {}).headers["Location"]
    svc.jobs.wait(parse_qs(urlsplit(location).query)["job"][0])
    sign_in(admin_of(GLOBEX))
    page = text(open_console(admin_app).get(location))
    assert 'data-testid="training-job"' not in page and ACME not in page
