"""Expensive endpoints are rate-limited per org and user: one caller's flood gets 429 with
Retry-After, and nobody else is slowed by it."""
from __future__ import annotations

import pytest

from content_catalog.database import upgrade
from plugin.access.api_tokens import ApiTokens
from plugin.app import create_app
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.settings import Settings
from plugin.web.identity import Role
from tests.api.admin_fixtures import APP_SECRET, acme_org, globex_org

PREVIEW = "/api/v1/modules/preview"


@pytest.fixture
def limited_app(tmp_path):
    settings = Settings(demo_mode=False, database_url=f"sqlite:///{tmp_path / 'limits.sqlite3'}",
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET,
                        rate_limit_expensive="3 per minute")
    app = create_app(settings)
    svc = app.extensions["be_inspired"]
    upgrade(svc.engine)
    store = OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list))
    store.save(acme_org())
    store.save(globex_org())
    yield app
    svc.engine.dispose()


@pytest.fixture
def bearer(limited_app):
    """``bearer(org, name)``: the Authorization header of a new enablement API token."""
    tokens = ApiTokens(limited_app.extensions["be_inspired"].sessions)

    def issue(org, name):
        secret = tokens.create(org.connection.org_id, name, Role.ENABLEMENT, created_by="test").secret
        return {"Authorization": f"Bearer {secret}"}

    return issue


def preview(client, headers):
    return client.post(PREVIEW, json={"markdown": "# hi"}, headers=headers)


def test_a_callers_flood_is_refused_with_retry_after_and_nobody_else_is_slowed(limited_app, bearer):
    client = limited_app.test_client()
    ada, bob, grace = bearer(acme_org(), "ada"), bearer(acme_org(), "bob"), bearer(globex_org(), "grace")
    assert [preview(client, ada).status_code for _ in range(3)] == [200, 200, 200]
    refused = preview(client, ada)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_requests" and "Retry-After" in error["message"]
    assert client.get("/api/v1/modules", headers=ada).status_code == 200  # a cheap endpoint

    assert preview(client, bob).status_code == 200  # another token of the same org
    assert preview(client, grace).status_code == 200  # another org


def test_the_limit_comes_from_the_settings_and_bad_notation_is_refused():
    with pytest.raises(ValueError, match="rate_limit_expensive"):
        Settings(rate_limit_expensive="lots per minute")


def test_with_redis_every_process_counts_against_the_same_limit(tmp_path, jobs_redis_url):
    """Two apps stand for two web processes: with REDIS_URL they share one count per caller."""
    import redis

    client = redis.Redis.from_url(jobs_redis_url)
    for key in client.scan_iter(match="*beinspired-limits*"):
        client.delete(key)
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    settings = Settings(demo_mode=False, database_url=database, redis_url=jobs_redis_url,
                        encryption_keys=SecretBox.new_key(), app_secret=APP_SECRET,
                        rate_limit_expensive="2 per minute")
    first, second = create_app(settings), create_app(settings)
    svc = first.extensions["be_inspired"]
    upgrade(svc.engine)
    OrgConnections(svc.sessions, SecretBox(settings.encryption_key_list)).save(acme_org())
    secret = ApiTokens(svc.sessions).create(acme_org().connection.org_id, "ada", Role.ENABLEMENT,
                                            created_by="test").secret
    ada = {"Authorization": f"Bearer {secret}"}
    try:
        assert preview(first.test_client(), ada).status_code == 200
        assert preview(second.test_client(), ada).status_code == 200
        assert preview(first.test_client(), ada).status_code == 429
        assert preview(second.test_client(), ada).status_code == 429
    finally:
        for key in client.scan_iter(match="*beinspired-limits*"):
            client.delete(key)
        for app in (first, second):
            app.extensions["be_inspired"].engine.dispose()


def test_in_memory_counts_start_no_thread_per_hit_and_still_refuse_and_expire(monkeypatch):
    """The memory storage counts a moving window exactly without the timer thread ``limits``
    starts while hits come; a caller who stopped is swept once the window has passed."""
    import threading

    from limits import parse
    from limits.strategies import MovingWindowRateLimiter

    from plugin.web.rate_limits import MEMORY_URI, SweptMemoryStorage
    from limits.storage import storage_from_string

    clock = [1_000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    storage = storage_from_string(MEMORY_URI)
    assert isinstance(storage, SweptMemoryStorage)
    limiter, three = MovingWindowRateLimiter(storage), parse("3 per minute")
    threads = threading.active_count()
    assert [limiter.hit(three, "ada") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(three, "bob")
    assert threading.active_count() == threads
    clock[0] += 61  # the window has passed: ada may again, and the sweep empties bob's
    storage._next_sweep = 0
    assert limiter.hit(three, "ada")
    assert [len(v) for k, v in storage.events.items() if "/bob/" in k] == [0]


def test_cheap_requests_never_reach_the_limiter(limited_app, bearer, monkeypatch):
    """Only the expensive endpoints are counted: a cheap request costs no limit lookup."""
    from flask_limiter._manager import LimitManager

    client = limited_app.test_client()
    ada = bearer(acme_org(), "ada")
    calls = []
    original = LimitManager.resolve_limits
    monkeypatch.setattr(LimitManager, "resolve_limits",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    assert client.get("/api/v1/modules", headers=ada).status_code == 200
    assert calls == []
    assert preview(client, ada).status_code == 200 and calls == [1]
