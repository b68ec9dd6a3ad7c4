"""Which proxy headers the service believes, decided here alone: werkzeug's ProxyFix with the
number of proxies in front (``BEINSPIRED_PROXY_COUNT``; 0 believes none). After it,
``request.remote_addr`` and ``request.is_secure`` are what every check uses."""
from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

#: Headers a relaying proxy adds. With no proxy trusted, a request carrying one came through a
#: proxy nobody configured, and its socket address (the proxy's) says nothing about the client.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
_COUNT_KEY = "BEINSPIRED_PROXY_COUNT"


def trust_proxies(app: Flask, count: int) -> None:
    """Believe the last ``count`` hops of X-Forwarded-For/-Proto/-Host/-Port, and nothing more."""
    app.config[_COUNT_KEY] = count
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,  # type: ignore[method-assign]
                                x_port=count)


def relayed_by_an_unknown_proxy() -> bool:
    """True when no proxy is trusted and the request says a proxy relayed it."""
    return not current_app.config.get(_COUNT_KEY) and any(h in request.headers for h in FORWARDING_HEADERS)
