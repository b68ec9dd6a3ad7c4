"""Where a background refit reads the catalog and fits: this process, or a child process so the
panel's threads never wait for the interpreter lock while it runs. Design: docs/design/ranking.md."""
from __future__ import annotations

import multiprocessing
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from content_catalog.database import make_engine, session_factory
from recommender import TagTextRanker

T = TypeVar("T")
#: A module-level function (a child process finds it by name) given a session first.
Work = Callable[..., T]


class InProcess:
    """Runs the work on the calling thread (the refit's own) with a session of this process."""

    def __init__(self, sessions: Callable[[], Session]):
        self._sessions = sessions

    def run(self, work: Work[T], *args: Any) -> T:
        with self._sessions() as session:
            return work(session, *args)

    def warm(self) -> None:
        """Nothing to prepare here."""


class ChildProcess:
    """Runs the work in one long-lived child process (spawned on first use, spawned again if it
    dies) on its own connection to ``database_url``; the calling thread only waits for it."""

    def __init__(self, database_url: str):
        self._url = database_url
        self._pool: ProcessPoolExecutor | None = None
        self._guard = threading.Lock()

    def run(self, work: Work[T], *args: Any) -> T:
        pool = self._executor()
        try:
            return pool.submit(_in_child, self._url, work, *args).result()
        except BrokenProcessPool:  # killed (out of memory, say): a new child next time
            with self._guard:
                if self._pool is pool:
                    self._pool = None
            raise

    def warm(self) -> None:
        """Start the child and its imports now, without waiting, so that the first refit does
        not pay for them (seconds on a busy machine)."""
        self._executor().submit(_in_child, self._url, _ready)

    def close(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._guard:
            if self._pool is None:
                # spawn, not fork: the server's threads and connections must not be copied.
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            return self._pool


_engines: dict[str, Engine] = {}


def _ready(session: Session) -> None:
    """A refit's imports and first connection, made ahead of the first refit."""
    import plugin.ranking.served_models  # noqa: F401 - what refits run: numpy, scikit-learn

    session.connection()


def _in_child(url: str, work: Work[T], *args: Any) -> T:
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    with session_factory(engine)() as session:
        return work(session, *args)


#: Modules, over all orgs, whose last fit a process keeps for its next refit (least recently
#: refitted org dropped first): 100,000 modules' fit with its refit state is about 300 MiB.
KEPT_MODULES = 150_000
_last_fits: OrderedDict[str, TagTextRanker] = OrderedDict()
_last_fits_guard = threading.Lock()


def last_fit(org_id: str) -> TagTextRanker | None:
    """The v1 fit this process made last for the org (a refit of v1, or the v1 part of the
    learned ranker laid over the catalog), for the next refit to start from; None after a
    restart or once dropped: that refit fits from scratch. Any catalog it was fitted on will do:
    a refit from it gives the same floats as a fresh fit (``TagTextRanker.fit``)."""
    with _last_fits_guard:
        return _last_fits.get(org_id)


def keep_fit(org_id: str, ranker: TagTextRanker) -> None:
    """Keep ``ranker`` as the org's last fit, within ``KEPT_MODULES``. Kept in the process that
    fitted it (the child, or the server with ``InProcess``): a copy handed back by pickle has no
    refit state (``TextIndex.__getstate__``)."""
    with _last_fits_guard:
        _last_fits.pop(org_id, None)
        _last_fits[org_id] = ranker
        total = sum(len(fit.module_ids_) for fit in _last_fits.values())
        while total > KEPT_MODULES and len(_last_fits) > 1:
            _, dropped = _last_fits.popitem(last=False)
            total -= len(dropped.module_ids_)
        if total > KEPT_MODULES:  # one catalog bigger than the bound: keep none
            _last_fits.clear()


def forget_fits() -> None:
    """Drop every kept fit (tests; what a restarted child starts with)."""
    with _last_fits_guard:
        _last_fits.clear()
