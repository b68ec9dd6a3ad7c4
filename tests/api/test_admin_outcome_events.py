"""Deal-outcome syncs reach the org's admin page, beside the connection's other events."""
from __future__ import annotations

import html

import responses

from tests.api.admin_fixtures import (  # noqa: F401  (fixtures)
    ACME,
    acme_org,
    admin_app,
    console,
    sign_in,
    store,
)
from tests.plugin.learning.outcome_fakes import FakeSalesforce, deal


def test_a_failed_sync_and_the_recovery_are_on_the_org_page(admin_app, console, store):
    store.save(acme_org())
    svc = admin_app.extensions["be_inspired"]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        salesforce = FakeSalesforce(mock)
        salesforce.error(503, "error_server.json")
        failed = svc.outcome_sync.sync(ACME, sleep=lambda _: None)
        salesforce.pages([deal(1), deal(2, Amount="n/a")])
        recovered = svc.outcome_sync.sync(ACME)
    page = html.unescape(console.get(f"/admin/orgs/{ACME}").get_data(as_text=True))
    assert "outcome sync failed" in page and failed.summary() in page
    assert "outcomes synced" in page and recovered.summary() in page
    assert "Amount is not a number" in page
