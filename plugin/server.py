"""The production server: the app on gunicorn, several processes with threads each, so every
core serves panels. Each worker listens on its own socket, builds its own app after the fork,
limits its BLAS threads, freezes its start-up heap, and writes its queued impressions on exit."""
from __future__ import annotations

import errno
import gc
import logging
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import BaseApplication

from plugin.settings import Settings
from plugin.telemetry import metrics

log = logging.getLogger(__name__)

#: The environment variables BLAS and OpenMP libraries read when they load.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class PortInUse(OSError):
    """Something else listens on the address already."""

    def __init__(self, host: str, port: int):
        super().__init__(f"port {port} on {host} is already in use: stop what uses it, or pick "
                         "another with --port")


class SecretRequired(ValueError):
    """Several processes cannot share panel tokens without a shared signing secret."""

    def __init__(self, workers: int):
        super().__init__(
            f"BEINSPIRED_APP_SECRET must be set (32+ characters) to serve with {workers} worker "
            "processes, which must all sign panel tokens alike (or serve with --workers 1)")


def usable_cpus() -> int:
    """The cores this process may run on (a container's or taskset's share, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServerPlan:
    """How ``beinspired serve`` runs: where, how many processes and threads each."""

    host: str
    port: int
    workers: int
    threads: int

    @classmethod
    def from_settings(cls, settings: Settings, *, host: str | None = None,
                      port: int | None = None, workers: int | None = None,
                      threads: int | None = None) -> "ServerPlan":
        """Options given on the command line win over the settings; unset workers are one per
        usable core (CPU-bound Python needs a process per core; threads cover waiting on
        Salesforce and the database)."""
        plan = cls(host=host or settings.host, port=port or settings.port,
                   workers=workers or settings.web_workers or usable_cpus(),
                   threads=threads or settings.web_threads)
        if plan.workers > 1 and not settings.app_secret:
            raise SecretRequired(plan.workers)
        return plan


#: The kernel spreads one port's new connections over the sockets listening on it with
#: SO_REUSEPORT: Linux does (3.9 and later). macOS and the BSDs accept the option without
#: balancing (FreeBSD has SO_REUSEPORT_LB instead), so workers there share one socket.
REUSE_PORT_AVAILABLE = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_listener(host: str, port: int, backlog: int = 2048, *,
                  per_worker: bool = False) -> socket.socket:
    """The port, bound here (not by gunicorn, which retries and logs five times) so that a port
    in use is one clear error.

    Without ``per_worker`` it is the listening socket, which workers inherit. With it, it is a
    claim: bound with ``SO_REUSEPORT`` but not listening, which holds the port while each worker
    listens on a socket of its own and the kernel spreads new connections evenly over them. On
    one shared socket, whichever worker woke first took each connection, and keep-alive kept it
    there: under 200 users one of two workers held most connections and saturated its core
    while the other idled (p99 0.5–1.2 s; BENCHMARKS.md, "Panel under load")."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    try:
        if per_worker:
            # Sockets of one user that all set SO_REUSEPORT share a port, so another server
            # started the same way would join this one's unnoticed. A plain listener refuses to
            # share with anything bound there (a claim too: it sets no SO_REUSEADDR), so one is
            # opened and closed first; the claim then follows at once.
            _listen(family, kind, proto, address, backlog).close()
            claim = socket.socket(family, kind, proto)
            try:
                claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                claim.bind(address)
            except OSError:
                claim.close()
                raise
            return claim
        return _listen(family, kind, proto, address, backlog)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        raise


def _listen(family, kind, proto, address, backlog: int) -> socket.socket:
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT
        listener.bind(address)
        listener.listen(backlog)
    except OSError:
        listener.close()
        raise
    return listener


def is_listening(listener: socket.socket) -> bool:
    return bool(listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


def _bind_address(listener: socket.socket) -> str:
    """gunicorn's spelling of the claimed address (the kernel's port when 0 was asked)."""
    host, port = listener.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def freeze_startup_heap() -> None:
    """Put what a worker built at start (~270,000 objects: modules, classes, the app) out of the
    cyclic collector's reach. Every full collection walked all of them, 130–170 ms with the
    whole worker stopped, every few seconds under load: most of the panel's p99 (issue 12).
    Reference counting still frees them; only a cycle among them would outlive its use, and
    what a worker builds at start lives as long as the worker."""
    gc.collect()
    gc.freeze()


def limit_blas_threads(threads: int) -> None:
    """One BLAS/OpenMP thread per worker by default: workers already use every core, and a BLAS
    pool per worker would make them fight over the cores (p50 24 → 15 ms at 2 connections)."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = str(threads)  # for libraries loaded later
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)  # for those loaded already (numpy's, before the fork)


class ProductionServer(BaseApplication):
    """gunicorn with the ``gthread`` worker: ``workers`` processes × ``threads`` threads."""

    def __init__(self, settings: Settings, plan: ServerPlan, listener: socket.socket,
                 hooks: dict[str, Any] | None = None):
        self.settings = settings
        self.plan = plan
        self.flask_app = None
        #: A per-worker claim stays open in the arbiter, holding the port (bind_listener).
        self.claim = None if is_listening(listener) else listener
        self._options = {
            # gunicorn owns an inherited descriptor from here; each worker binds its own
            # socket to a claimed port.
            "bind": [_bind_address(listener) if self.claim else f"fd://{listener.detach()}"],
            "reuse_port": self.claim is not None,
            "workers": plan.workers,
            "threads": plan.threads,
            "worker_class": "gthread",
            "worker_connections": 1000,
            # An idle keep-alive connection is kept 5 s, not gunicorn's 2: a rep pausing longer
            # than 2 s between views found it closed (a failed read, then a new connection);
            # the gthread worker holds idle connections in its poller, not in a thread.
            "keepalive": 5,
            "preload_app": False,  # each worker builds the app (threads, pools) after its fork
            "timeout": 60,
            "graceful_timeout": 30,
            "loglevel": settings.log_level.lower(),
            "errorlog": "-",
            "accesslog": None,
            "proc_name": "be-inspired",
            # Which proxies to believe is the app's decision (settings), never the server's.
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            "post_worker_init": self._worker_ready,
            "worker_exit": self._worker_exit,
            "child_exit": self._child_exit,
            **(hooks or {}),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        from plugin.app import create_app

        self.flask_app = create_app(self.settings)
        return self.flask_app

    def _worker_ready(self, _worker) -> None:
        limit_blas_threads(self.settings.blas_threads)
        freeze_startup_heap()

    def _child_exit(self, _server, worker) -> None:
        metrics.worker_gone(worker.pid)

    def _worker_exit(self, _server, _worker) -> None:
        """The worker stopped taking requests: write the impressions it still holds."""
        if self.flask_app is not None:
            self.flask_app.extensions["be_inspired"].impressions.close()


__all__ = [
    "BLAS_THREAD_VARIABLES", "PortInUse", "ProductionServer", "REUSE_PORT_AVAILABLE",
    "SecretRequired", "ServerPlan", "bind_listener", "freeze_startup_heap", "is_listening",
    "limit_blas_threads", "usable_cpus",
]
