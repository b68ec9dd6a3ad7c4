"""Fixtures for the Salesforce connector tests.

Only HTTP is faked (with ``responses``), using the canned Salesforce payloads in ``payloads/``.
The Redis cache tests use the real Redis on 127.0.0.1:6379 under a unique key prefix.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Callable

import pytest
import redis
import responses

from plugin.crm.salesforce.client import CanvasSession
from plugin.crm.salesforce.config import ClientCredentials, OrgConnection

from sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID, VIEWER_ID, FakeClock, load_json


@pytest.fixture
def http():
    """Every HTTP request in the test goes to these fakes; an unexpected one fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def record_sleep(sleeps: list[float]) -> Callable[[float], None]:
    return sleeps.append


@pytest.fixture
def canvas_connection() -> OrgConnection:
    return OrgConnection(org_id=ORG_ID, instance_url=INSTANCE, canvas_secret=CANVAS_SECRET,
                         challenge_field="Customer_Challenge__c")


@pytest.fixture
def canvas_session() -> CanvasSession:
    return CanvasSession(access_token="00D5e000001AcmE!AQ0AQViewingUsersOwnToken",
                         instance_url=INSTANCE, user_id=VIEWER_ID)


@pytest.fixture
def client_credentials_connection() -> OrgConnection:
    return OrgConnection(org_id=ORG_ID, instance_url=INSTANCE,
                         credentials=ClientCredentials("3MVG9-consumer-key", "consumer-secret"),
                         challenge_field="Customer_Challenge__c")


@pytest.fixture
def canvas_payload() -> dict[str, Any]:
    return load_json("canvas_request.json")


@pytest.fixture
def redis_client():
    """The real Redis; its absence fails the test unless BEINSPIRED_SKIP_REDIS=1."""
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("BEINSPIRED_SKIP_REDIS") == "1":
            pytest.skip(f"Redis not reachable on 127.0.0.1:6379 ({exc}); BEINSPIRED_SKIP_REDIS=1")
        pytest.fail(f"Redis not reachable on 127.0.0.1:6379: {exc} "
                    "(set BEINSPIRED_SKIP_REDIS=1 to skip)")
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client) -> str:
    prefix = f"beinspired-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}*"))
    if keys:
        redis_client.delete(*keys)
