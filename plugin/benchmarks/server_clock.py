"""How long the app takes to answer, measured inside the server: what the benchmarks time."""
from __future__ import annotations

import time


class ServerClock:
    """WSGI middleware timing each request whose path starts with ``path_prefix``, body
    included (the body is drawn inside the timing, so a streamed answer counts whole).
    ``last_ms`` is the latest, ``samples_ms`` all of them in order."""

    def __init__(self, wsgi_app, path_prefix: str = "/"):
        self.wsgi_app = wsgi_app
        self.path_prefix = path_prefix
        self.last_ms = 0.0
        self.samples_ms: list[float] = []

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.path_prefix):
            return self.wsgi_app(environ, start_response)
        start = time.perf_counter_ns()
        answer = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        self.last_ms = (time.perf_counter_ns() - start) / 1e6
        self.samples_ms.append(self.last_ms)
        return [body]
