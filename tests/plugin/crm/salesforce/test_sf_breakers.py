"""The API-limit circuit breaker as every process sees it: shared through Redis per org, with
its expiry; in this process without Redis; a failing Redis never blocks a call."""
from __future__ import annotations

from plugin.crm.salesforce.breakers import (
    InProcessBreakers,
    RedisBreakers,
    breaker_store,
)
from plugin.crm.salesforce.health import OrgHealth

ACME, GLOBEX = "00D000000000001AAA", "00D000000000002AAA"


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_breaker_opened_in_one_process_stops_the_others_until_it_expires(redis_client,
                                                                           redis_prefix):
    clock = Clock()
    # Two processes: each its own OrgHealth and client, one Redis.
    first = OrgHealth(ACME, clock=clock, breaker_seconds=900,
                      breakers=RedisBreakers(redis_client, prefix=redis_prefix, clock=clock))
    second = OrgHealth(ACME, clock=clock, breaker_seconds=900,
                       breakers=RedisBreakers(redis_client, prefix=redis_prefix, clock=clock))
    other_org = OrgHealth(GLOBEX, clock=clock,
                          breakers=RedisBreakers(redis_client, prefix=redis_prefix, clock=clock))
    assert not second.breaker_open()

    first.open_breaker("REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.")

    assert second.breaker_open() and not other_org.breaker_open()
    assert second.status().breaker_open_until == clock.now + 900
    assert 890 <= redis_client.ttl(f"{redis_prefix}{ACME}") <= 900  # Redis forgets it in time
    clock.now += 900
    assert not second.breaker_open()


def test_without_redis_the_breaker_is_this_processs_and_closes_on_time():
    clock = Clock()
    breakers = InProcessBreakers(clock)
    health = OrgHealth(ACME, clock=clock, breaker_seconds=60, breakers=breakers)
    health.open_breaker("limit")
    assert health.breaker_open()
    assert not OrgHealth(ACME, clock=clock).breaker_open()  # another process's own store
    clock.now += 60
    assert not health.breaker_open() and health.status().breaker_open_until is None


def test_an_unreachable_redis_never_blocks_a_call():
    health = OrgHealth(ACME, breakers=RedisBreakers.from_url("redis://127.0.0.1:1/0"))
    health.open_breaker("limit")
    assert not health.breaker_open()


def test_the_store_follows_the_redis_setting():
    assert isinstance(breaker_store(None), InProcessBreakers)
    assert isinstance(breaker_store("redis://127.0.0.1:6379/0"), RedisBreakers)
