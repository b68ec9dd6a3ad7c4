"""A service with one Canvas-mode org (Acme) configured, its catalog loaded, and Salesforce
faked at the HTTP layer with ``responses``."""
from __future__ import annotations

import copy
import re

import pytest
import responses

from content_catalog.database import upgrade
from content_catalog.importing import import_modules
from plugin.app import create_app
from plugin.crm.demo_org import demo_module_payloads
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.crm.salesforce.config import OrgConnection
from plugin.settings import Settings
from tests.plugin.crm.salesforce.sf_fakes import (
    CANVAS_SECRET,
    INSTANCE,
    LIMIT_INFO,
    OPPORTUNITY_ID,
    ORG_ID,
    load_json,
    sign_canvas,
)

QUERY = re.compile(re.escape(INSTANCE) + r"/services/data/v59\.0/query/?\?q=.*")
APP_SECRET = "test-app-secret-of-at-least-32-characters"


@pytest.fixture
def acme_app(tmp_path):
    settings = Settings(
        demo_mode=False,
        database_url=f"sqlite:///{tmp_path / 'canvas.sqlite3'}",
        encryption_keys=SecretBox.new_key(),
        app_secret=APP_SECRET,
    )
    app = create_app(settings)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list)).save(
        ConfiguredOrg(
            "Acme Corp",
            OrgConnection(org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET,
                          challenge_field="Customer_Challenge__c"),
        )
    )
    with svc.sessions.begin() as session:
        import_modules(session, ORG_ID, demo_module_payloads(), svc.taxonomy)
    return app


@pytest.fixture
def client(acme_app):
    return acme_app.test_client()


@pytest.fixture
def salesforce():
    """Salesforce's REST API, faked: answers the context query with the Acme opportunity."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        yield fake


@pytest.fixture
def opportunity_answers(salesforce):
    def answer(body=None, status=200, times=1):
        for _ in range(times):
            salesforce.add(responses.GET, QUERY, json=body if body is not None else load_json("opportunity_full.json"),
                           status=status, headers=LIMIT_INFO)
    return answer


def query_calls(salesforce) -> int:
    return sum(1 for call in salesforce.calls if "/query" in call.request.url)


@pytest.fixture
def canvas_payload():
    return copy.deepcopy(load_json("canvas_request.json"))


@pytest.fixture
def signed(canvas_payload):
    return sign_canvas(canvas_payload)


def token_of(html: str) -> str:
    match = re.search(r'data-app-token="([^"]+)"', html)
    assert match, "the panel carries no app token"
    return match.group(1)


__all__ = ["OPPORTUNITY_ID", "ORG_ID", "query_calls", "sign_canvas", "token_of"]
