"""Deal outcomes from Salesforce and the demo org, on SQLite and PostgreSQL, with Salesforce
faked at HTTP in its documented shapes (``tests/plugin/learning/outcome_fakes.py``)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from importlib.resources import files

import pytest
import responses

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.deal_outcomes import DealOutcome, DealOutcomes
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.learning.outcome_sync import FAILED_EVENT, SYNCED_EVENT
from plugin.crm.salesforce.config import OrgConnection
from plugin.crm.salesforce.ids import to_18
from plugin.orgs.connections import ConfiguredOrg
from tests.plugin.learning.outcome_fakes import (
    FakeSalesforce, acme_org, deal, opportunity_id, services_on,
)
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
CANVAS_ORG = "00DB0000000BbbbMAC"


@pytest.fixture
def svc(engine):
    return services_on(engine, acme_org())


@pytest.fixture
def salesforce():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeSalesforce(mock)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def sync(svc, sleeps, **kwargs):
    return svc.outcome_sync.sync(ORG_ID, now=NOW, sleep=sleeps.append, **kwargs)


def stored(svc, org_id: str = ORG_ID) -> dict[str, DealOutcome]:
    with svc.sessions() as session:
        return DealOutcomes(session, org_id).by_opportunity()


def events(svc, org_id: str = ORG_ID) -> list[tuple[str, str]]:
    with svc.sessions() as session:
        return [(e.kind, e.message) for e in OrgActivityRepository(session, org_id).recent_events()]


# Reading and saving --------------------------------------------------------------------------
def test_first_sync_reads_every_closed_deal_and_saves_won_and_lost(svc, salesforce, sleeps):
    salesforce.pages([deal(1, won=True, amount=640000.0), deal(2, won=False, amount=None)])
    report = sync(svc, sleeps)
    assert report.ok and (report.mode, report.fetched, report.won, report.lost) == (
        "incremental", 2, 1, 1)
    assert salesforce.soql == [
        "SELECT Id, IsClosed, IsWon, Amount, CloseDate, StageName, LastModifiedDate "
        "FROM Opportunity WHERE IsClosed = true"
    ]
    outcomes = stored(svc)
    assert outcomes[opportunity_id(1)] == DealOutcome(
        opportunity_id(1), won=True, stage="Closed Won", amount=Decimal("640000.00"),
        close_date=date(2026, 10, 30),
        modified_at=datetime(2026, 11, 20, 10, 15, tzinfo=timezone.utc))
    assert outcomes[opportunity_id(2)].won is False and outcomes[opportunity_id(2)].amount is None


def test_next_sync_asks_only_for_what_changed_since_the_newest_stored_deal(svc, salesforce,
                                                                           sleeps):
    salesforce.pages([deal(1, modified="2026-11-20T10:15:00.000+0000"),
                      deal(2, modified="2026-11-21T08:30:07.000+0000")])
    sync(svc, sleeps)
    salesforce.pages([deal(3, won=False, modified="2026-11-22T09:00:00.000+0000")])
    report = sync(svc, sleeps)
    assert salesforce.soql[-1].endswith(
        "FROM Opportunity WHERE LastModifiedDate >= 2026-11-21T08:30:07+00:00")
    assert report.since == datetime(2026, 11, 21, 8, 30, 7, tzinfo=timezone.utc)
    assert (report.won, report.lost) == (0, 1) and len(stored(svc)) == 3


def test_full_sync_ignores_the_watermark_and_forgets_deals_salesforce_no_longer_returns(
        svc, salesforce, sleeps):
    salesforce.pages([deal(1), deal(2), deal(3)])
    sync(svc, sleeps)
    salesforce.pages([deal(1), deal(3, won=False)])  # 2 was deleted; 3 is now lost
    report = sync(svc, sleeps, full=True)
    assert report.mode == "full" and "LastModifiedDate >=" not in salesforce.soql[-1]
    assert (report.unchanged, report.lost, report.forgotten) == (1, 1, 1)
    assert set(stored(svc)) == {opportunity_id(1), opportunity_id(3)}
    assert stored(svc)[opportunity_id(3)].won is False


def test_pages_are_followed_through_next_records_url(svc, salesforce, sleeps):
    salesforce.pages([deal(n, won=n % 3 == 0) for n in range(1, 8)], per_page=3)
    report = sync(svc, sleeps)
    assert report.fetched == 7 and (report.won, report.lost) == (2, 5)
    assert [url.rsplit("/", 1)[1] for url in salesforce.calls[1:]] == [
        "01gD0000002HU6KIAW-3", "01gD0000002HU6KIAW-6"]
    assert len(stored(svc)) == 7


def test_a_reopened_deal_is_forgotten(svc, salesforce, sleeps):
    salesforce.pages([deal(1), deal(2)])
    sync(svc, sleeps)
    salesforce.pages([deal(2, closed=False, modified="2026-11-22T09:00:00.000+0000")])
    report = sync(svc, sleeps)
    assert report.forgotten == 1 and set(stored(svc)) == {opportunity_id(1)}


def test_an_unchanged_deal_is_not_counted_as_saved_again(svc, salesforce, sleeps):
    salesforce.pages([deal(1)])
    sync(svc, sleeps)
    report = sync(svc, sleeps)  # the boundary record comes back (>=)
    assert (report.won, report.lost, report.unchanged) == (0, 0, 1)


def test_bad_records_are_skipped_and_reported_and_the_rest_saved(svc, salesforce, sleeps):
    salesforce.pages([
        deal(1),
        deal(2, Id="006'; DROP TABLE--"),
        deal(3, Amount="a lot"),
        deal(4, CloseDate="31/12/2026"),
        deal(5, LastModifiedDate="9999-12-31T00:00:00.000+0000"),
        deal(6, IsWon="yes"),
        deal(7, StageName=None),
        deal(8, Amount=float("1e300")),
        "not a record",
        deal(9, won=False),
    ])
    report = sync(svc, sleeps)
    assert report.ok and report.fetched == 10 and (report.won, report.lost) == (1, 1)
    reasons = {s.record: s.reason for s in report.skipped}
    assert reasons == {
        "record 2 (no valid Id)": "Id is not an opportunity Id",
        opportunity_id(3): "Amount is not a number",
        opportunity_id(4): "CloseDate is not a date",
        opportunity_id(5): "LastModifiedDate is in the future",
        opportunity_id(6): "IsWon is not true or false",
        opportunity_id(7): "StageName is missing",
        opportunity_id(8): "Amount is too large",
        "record 9 (no valid Id)": "the record is not an object",
    }
    assert set(stored(svc)) == {opportunity_id(1), opportunity_id(9)}
    kind, message = events(svc)[0]
    assert kind == SYNCED_EVENT and "8 skipped" in message and "DROP TABLE" not in message


# Failures ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fail, said", [
    (lambda sf: sf.error(403, "error_request_limit.json"),
     "the org's API request limit is used up (REQUEST_LIMIT_EXCEEDED)"),
    (lambda sf: sf.error(503, "error_server.json"), "Salesforce answered 503"),
    (lambda sf: sf.timeout(), "Salesforce did not answer in time"),
    (lambda sf: sf.error(401, "error_invalid_session.json"),
     "the Salesforce session is not valid (INVALID_SESSION_ID)"),
    (lambda sf: sf.error(400, "error_invalid_field_challenge.json"),
     "Salesforce rejected the query (INVALID_FIELD): the integration user needs read access"),
], ids=["limit", "down", "timeout", "expired-token", "field-not-readable"])
def test_a_failure_on_any_page_writes_nothing_and_says_why(svc, salesforce, sleeps, fail, said):
    salesforce.pages([deal(1), deal(2, won=False)])
    sync(svc, sleeps)
    before = stored(svc)
    salesforce.pages([deal(2, closed=False), deal(3), deal(4)], per_page=2, only=1)
    fail(salesforce)  # the second page, and every retry, fails
    report = sync(svc, sleeps)
    assert not report.ok and said in report.error
    assert (report.won, report.lost, report.forgotten) == (0, 0, 0)
    assert stored(svc) == before
    failures = [message for kind, message in events(svc) if kind == FAILED_EVENT]
    assert len(failures) == 1 and said in failures[0] and "Traceback" not in failures[0]


def test_a_timeout_is_retried_once_after_a_back_off(svc, salesforce, sleeps):
    salesforce.timeout().pages([deal(1)])
    report = sync(svc, sleeps)
    assert report.ok and report.won == 1 and len(sleeps) == 1


def test_an_expired_session_is_renewed_once_and_the_sync_goes_on(svc, salesforce, sleeps):
    salesforce.pages([deal(1), deal(2)], per_page=1)
    salesforce._answers.insert(1, (401, json.loads('[{"message": "Session expired or invalid",'
                                                   ' "errorCode": "INVALID_SESSION_ID"}]')))
    report = sync(svc, sleeps)
    assert report.ok and report.won == 2 and salesforce.logins == 2


def test_the_api_limit_stops_later_syncs_from_calling_salesforce(svc, salesforce, sleeps):
    salesforce.error(403, "error_request_limit.json")
    sync(svc, sleeps)
    calls = len(salesforce.calls)
    report = sync(svc, sleeps)
    assert not report.ok and "API limit was reached earlier" in report.error
    assert len(salesforce.calls) == calls
    assert sorted(k for k, _ in events(svc)) == sorted([FAILED_EVENT, FAILED_EVENT,
                                                        "limit_exceeded"])


def test_a_next_records_url_pointing_elsewhere_is_refused(svc, salesforce, sleeps):
    salesforce.answer(200, {"totalSize": 4, "done": False, "records": [deal(1)],
                            "nextRecordsUrl": "@evil.example/steal"})
    report = sync(svc, sleeps)
    assert not report.ok and "nextRecordsUrl" in report.error
    assert stored(svc) == {} and all("evil" not in url for url in salesforce.calls)


def test_a_good_sync_after_a_failure_tells_admins_it_recovered(svc, salesforce, sleeps):
    salesforce.pages([deal(1)])
    sync(svc, sleeps)
    sync(svc, sleeps)
    assert [k for k, _ in events(svc)] == [SYNCED_EVENT]  # "nothing new" is not an event
    salesforce.error(503, "error_server.json")
    sync(svc, sleeps)
    salesforce.pages([deal(1)])
    report = sync(svc, sleeps)
    assert report.ok and not report.changed
    assert [k for k, _ in events(svc)] == [SYNCED_EVENT, FAILED_EVENT, SYNCED_EVENT]


# Orgs that cannot be synced -----------------------------------------------------------------
def test_a_canvas_only_org_is_not_synced_and_says_why(engine, salesforce, sleeps):
    canvas = ConfiguredOrg("Canvas Co", OrgConnection(CANVAS_ORG, INSTANCE,
                                                      canvas_secret=CANVAS_SECRET))
    svc = services_on(engine, acme_org(), canvas)
    report = svc.outcome_sync.sync(CANVAS_ORG, now=NOW)
    assert not report.ok and "Canvas-only" in report.error and salesforce.calls == []
    assert svc.outcome_sync.syncable_orgs().org_ids == (ORG_ID,)
    assert svc.outcome_sync.syncable_orgs().canvas_only == (CANVAS_ORG,)


@pytest.mark.parametrize("org_id", ["00D000000000404AAA", "not an org", ""])
def test_an_unknown_org_is_reported_not_raised(svc, org_id):
    report = svc.outcome_sync.sync(org_id, now=NOW)
    assert report.error == "no such org is configured"


# The demo org --------------------------------------------------------------------------------
def bundled_demo_opportunities() -> list[dict]:
    return json.loads(files("plugin.crm.demo_org").joinpath("opportunities.json").read_text())


def test_the_demo_orgs_closed_opportunities_become_its_outcomes(engine):
    svc = services_on(engine, demo_mode=True)
    bundled = bundled_demo_opportunities()
    closed = {o["Id"]: o for o in bundled if o["IsClosed"]}
    report = svc.outcome_sync.sync(DEMO_ORG_ID, now=NOW)
    assert report.ok and report.mode == "demo" and report.fetched == len(bundled)
    assert (report.won, report.lost) == (sum(o["IsWon"] for o in closed.values()),
                                         sum(not o["IsWon"] for o in closed.values()))
    outcomes = stored(svc, DEMO_ORG_ID)
    assert {i: (o.won, float(o.amount), o.close_date.isoformat()) for i, o in outcomes.items()} \
        == {i: (o["IsWon"], o["Amount"], o["CloseDate"]) for i, o in closed.items()}
    assert svc.outcome_sync.syncable_orgs().org_ids == (DEMO_ORG_ID,)
    again = svc.outcome_sync.sync(DEMO_ORG_ID, now=NOW)
    assert (again.won, again.lost, again.unchanged) == (0, 0, len(closed))


def test_the_demo_sync_leaves_other_demo_outcomes_alone(engine):
    svc = services_on(engine, demo_mode=True)
    svc.outcome_sync.sync(DEMO_ORG_ID, now=NOW)
    simulated = DealOutcome(opportunity_id=to_18("006SIM000000001"), won=True,
                            stage="Closed Won")
    with svc.sessions.begin() as session:
        DealOutcomes(session, DEMO_ORG_ID).save([simulated])
    svc.outcome_sync.sync(DEMO_ORG_ID, now=NOW)
    assert stored(svc, DEMO_ORG_ID)[simulated.opportunity_id] == simulated


def test_an_outage_failing_the_same_way_every_hour_is_one_event(svc, salesforce, sleeps):
    for _ in range(3):
        salesforce.error(503, "error_server.json")
        sync(svc, sleeps)
    assert [k for k, _ in events(svc)] == [FAILED_EVENT]


def test_the_recovery_is_told_however_many_other_events_came_after_the_failure(
    svc, salesforce, sleeps
):
    salesforce.error(503, "error_server.json")
    sync(svc, sleeps)
    with svc.sessions.begin() as session:
        for n in range(25):  # more than the admin page's list of recent events
            OrgActivityRepository(session, ORG_ID).add_event(
                "connection_tested", f"test {n}", NOW)
    salesforce.pages([deal(1)])
    sync(svc, sleeps)
    salesforce.pages([deal(1)])
    sync(svc, sleeps)  # nothing new, and the last sync was good: no event
    with svc.sessions() as session:
        kinds = [e.kind for e in OrgActivityRepository(session, ORG_ID).recent_events(limit=100)]
    assert kinds.count(SYNCED_EVENT) == 1 and kinds.count(FAILED_EVENT) == 1
