"""Proxy headers through the real server (``beinspired serve``, gunicorn): believed only for the
number of proxies the operator configured, and then only their last hops. What a test client
sends is not what a server passes on, so these run against the served app."""
from __future__ import annotations

import pytest
import requests

from serving import beinspired, free_port, stop, wait_until_healthy

PICKER = "/demo/identity"


@pytest.fixture
def serve(tmp_path):
    """``serve(proxy_count)`` starts the demo on a free loopback port; the base URL comes back."""
    servers = []

    def start(proxy_count: int) -> str:
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / f'proxy{proxy_count}.sqlite3'}",
               "BEINSPIRED_DEMO_MODE": "true", "BEINSPIRED_LOG_LEVEL": "WARNING",
               "BEINSPIRED_WEB_WORKERS": None, "BEINSPIRED_PROXY_COUNT": str(proxy_count)}
        port = free_port()
        server = beinspired("serve", "--port", str(port), "--workers", "1", env=env)
        servers.append(server)
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server)
        return base

    yield start
    for server in servers:
        stop(server)


def status(base: str, **headers: str) -> int:
    return requests.get(base + PICKER, headers=headers, timeout=10, allow_redirects=False).status_code


def test_with_no_proxy_configured_no_forwarded_header_is_believed(serve):
    base = serve(0)
    assert status(base) == 200  # this machine, directly
    assert status(base, **{"X-Forwarded-For": "203.0.113.7"}) == 404
    assert status(base, **{"X-Forwarded-For": "127.0.0.1"}) == 404  # a relay nobody configured
    assert status(base, Forwarded="for=203.0.113.7") == 404
    assert status(base, **{"X-Real-IP": "203.0.113.7"}) == 404
    spoofed_https = requests.get(base + PICKER, headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert "Strict-Transport-Security" not in spoofed_https.headers


def test_behind_one_proxy_its_hop_decides_who_is_asking_and_over_what(serve):
    base = serve(1)
    assert status(base, **{"X-Forwarded-For": "203.0.113.7"}) == 404
    assert status(base, **{"X-Forwarded-For": "127.0.0.1"}) == 200
    # Only the hop our proxy added is believed: a client cannot prepend a loopback address.
    assert status(base, **{"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}) == 404
    over_https = requests.get(base + PICKER, timeout=10,
                              headers={"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"})
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
