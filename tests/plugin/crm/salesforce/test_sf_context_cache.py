"""Both caches keep raw record JSON with a TTL and a stale copy; Redis tests use the real server."""
from __future__ import annotations

import json

import pytest
import responses

from plugin.crm.salesforce.context_cache import (
    CacheKey, InProcessContextCache, RedisContextCache, context_cache,
)
from plugin.crm.salesforce.exceptions import CanvasSessionExpired
from plugin.crm.salesforce.live_source import CACHE_DOWN_NOTICE, SalesforceOpportunitySource
from plugin.crm.sources import SourceUnavailable

from sf_fakes import OPPORTUNITY_ID, ORG_ID, QUERY_URL, load_json

KEY = CacheKey(ORG_ID, OPPORTUNITY_ID)
VIEWER = "0055e000009ViEwAAA"
RECORD = load_json("opportunity_full.json")["records"][0]


@pytest.fixture(params=["in_process", "redis"])
def cache(request, clock):
    if request.param == "in_process":
        return InProcessContextCache(ttl=300, stale_ttl=3600, clock=clock)
    client = request.getfixturevalue("redis_client")
    prefix = request.getfixturevalue("redis_prefix")
    return RedisContextCache(client, ttl=300, stale_ttl=3600, prefix=prefix, clock=clock)


def test_a_stored_context_comes_back_fresh(cache):
    cache.put(KEY, RECORD, ("challenge field left out: INVALID_FIELD",))
    entry = cache.get(KEY)
    assert entry.record == RECORD and not entry.stale
    assert entry.degradations == ("challenge field left out: INVALID_FIELD",)


def test_after_the_ttl_the_copy_is_stale_but_kept(cache, clock):
    cache.put(KEY, RECORD)
    clock.advance(300)
    assert cache.get(KEY).stale


def test_unknown_keys_and_deleted_entries_are_misses(cache):
    assert cache.get(KEY) is None
    cache.put(KEY, RECORD)
    cache.delete(KEY)
    assert cache.get(KEY) is None


def test_each_org_viewer_and_record_has_its_own_entry(cache):
    cache.put(KEY, RECORD)
    assert cache.get(CacheKey("00D5e000002OthR", OPPORTUNITY_ID)) is None
    assert cache.get(CacheKey(ORG_ID, OPPORTUNITY_ID, viewer="0055e000001ReP1AAK")) is None


def test_in_process_entries_expire_after_the_stale_period(clock):
    cache = InProcessContextCache(ttl=300, stale_ttl=3600, clock=clock)
    cache.put(KEY, RECORD)
    clock.advance(3900)
    assert cache.get(KEY) is None


def test_in_process_cache_is_bounded(clock):
    cache = InProcessContextCache(max_entries=2, clock=clock)
    for n in range(3):
        cache.put(CacheKey(ORG_ID, f"0065e00000AbCd{n}"), RECORD)
    assert cache.get(CacheKey(ORG_ID, "0065e00000AbCd0")) is None
    assert cache.get(CacheKey(ORG_ID, "0065e00000AbCd2")) is not None


def test_redis_holds_plain_json_that_expires_with_the_stale_copy(redis_client, redis_prefix, clock):
    cache = RedisContextCache(redis_client, ttl=300, stale_ttl=3600, prefix=redis_prefix,
                              clock=clock)
    cache.put(KEY, RECORD)
    name = f"{redis_prefix}{ORG_ID}:{OPPORTUNITY_ID}"
    stored = json.loads(redis_client.get(name))
    assert stored["record"] == RECORD and stored["fetched_at"] == clock.now
    assert 3890 <= redis_client.ttl(name) <= 3900


def test_redis_ignores_entries_it_cannot_read(redis_client, redis_prefix):
    cache = RedisContextCache(redis_client, prefix=redis_prefix)
    redis_client.set(f"{redis_prefix}{KEY}", b"\x80\x04\x95 a pickle, not ours")
    assert cache.get(KEY) is None
    redis_client.set(f"{redis_prefix}{KEY}", json.dumps({"v": 1, "record": [], "fetched_at": 1}))
    assert cache.get(KEY) is None


def test_an_unreachable_redis_keeps_entries_in_this_process_and_says_it_is_down():
    cache = RedisContextCache.from_url("redis://127.0.0.1:1/0")
    cache.put(KEY, RECORD)
    assert cache.get(KEY).record == RECORD and not cache.reachable()
    cache.delete(KEY)
    assert cache.get(KEY) is None


def test_a_copy_kept_while_redis_was_down_is_found_after_it_is_back(redis_client, redis_prefix):
    down = RedisContextCache.from_url("redis://127.0.0.1:1/0")
    down.put(KEY, RECORD)
    # The same process, Redis reachable again: the entry is not in Redis, but still here.
    down.client = redis_client
    down.prefix = redis_prefix
    assert down.get(KEY).record == RECORD and down.reachable()


def test_a_reachable_redis_is_reported_reachable(redis_client, redis_prefix):
    cache = RedisContextCache(redis_client, prefix=redis_prefix)
    assert cache.get(KEY) is None and cache.reachable()


def test_the_cache_kind_follows_the_redis_setting(redis_client):
    assert isinstance(context_cache(None), InProcessContextCache)
    assert isinstance(context_cache("redis://127.0.0.1:6379/0"), RedisContextCache)


def test_with_redis_the_second_fetch_makes_no_call(http, redis_client, redis_prefix,
                                                   canvas_connection, canvas_session):
    cache = RedisContextCache(redis_client, prefix=redis_prefix)
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"))
    first = SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                        cache=cache)
    first.fetch(OPPORTUNITY_ID)
    # A new source, as another worker process would build, finds the copy in Redis.
    second = SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                         cache=cache)
    assert second.fetch_context(OPPORTUNITY_ID).from_cache
    assert len(http.calls) == 1


def test_with_redis_down_a_panels_later_call_says_the_cache_is_down_not_session_expired(
        http, canvas_connection):
    cache = RedisContextCache.from_url("redis://127.0.0.1:1/0")
    later = SalesforceOpportunitySource(canvas_connection, cache=cache, viewer=VIEWER)
    with pytest.raises(SourceUnavailable) as raised:
        later.fetch(OPPORTUNITY_ID)
    assert raised.value.notice == CACHE_DOWN_NOTICE and not http.calls  # nothing to call with


def test_with_redis_down_an_expired_canvas_session_is_still_an_expired_session(
        http, canvas_connection, canvas_session):
    http.add(responses.GET, QUERY_URL, status=401, json=load_json("error_invalid_session.json"))
    cache = RedisContextCache.from_url("redis://127.0.0.1:1/0")
    canvas = SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                         cache=cache)
    with pytest.raises(CanvasSessionExpired):
        canvas.fetch(OPPORTUNITY_ID)


def test_with_redis_down_the_process_that_showed_the_panel_serves_its_later_calls(
        http, canvas_connection, canvas_session):
    http.add(responses.GET, QUERY_URL, json=load_json("opportunity_full.json"))
    cache = RedisContextCache.from_url("redis://127.0.0.1:1/0")
    SalesforceOpportunitySource(canvas_connection, canvas_session=canvas_session,
                                cache=cache).fetch(OPPORTUNITY_ID)
    later = SalesforceOpportunitySource(canvas_connection, cache=cache,
                                        viewer=canvas_session.user_id)
    assert later.fetch_context(OPPORTUNITY_ID).from_cache and len(http.calls) == 1
