"""Each org's ranker refits, run one at a time on a background thread of the org's own, so that
no panel view waits for one. Design: docs/design/ranking.md."""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)

#: Runs a refit's work off the request: a daemon thread in the service, the test's own in tests.
Starter = Callable[[Callable[[], None]], None]


def _daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="beinspired-refit", daemon=True).start()


class OrgRefits:
    """A queue of named jobs per org, drained by one thread per org that ends when it is empty.

    A job asked for again while queued runs once; asked for while it runs, it runs once more
    afterwards (the catalog may have moved during the run), so each job must read what it needs
    when it starts and return at once when there is nothing to do.
    """

    def __init__(self, start: Starter = _daemon_thread):
        self._start = start
        self._changed = threading.Condition()
        self._queued: dict[str, dict[str, Callable[[], None]]] = {}
        self._busy: set[str] = set()

    def request(self, org_id: str, name: str, job: Callable[[], None]) -> None:
        """Run ``job`` for ``org_id`` soon, after the org's refit in progress; never waits."""
        with self._changed:
            self._queued.setdefault(org_id, {})[name] = job
            if org_id in self._busy:
                return
            self._busy.add(org_id)
        try:
            self._start(lambda: self._drain(org_id))
        except BaseException:  # no thread (interpreter shutting down): the next view asks again
            self._finish(org_id)
            raise

    def busy(self, org_id: str) -> bool:
        """Whether a refit of the org is queued or running."""
        with self._changed:
            return org_id in self._busy

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Until no org has a refit queued or running (benchmarks, tests); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._busy, timeout)

    def _drain(self, org_id: str) -> None:
        while True:
            with self._changed:
                queue = self._queued.get(org_id)
                if not queue:
                    self._finish(org_id)
                    return
                name = next(iter(queue))
                job = queue.pop(name)
            try:
                job()
            except Exception:  # noqa: BLE001 - the previous fit keeps serving; a view asks again
                log.exception("org %s: the background refit of %s failed", org_id, name)

    def _finish(self, org_id: str) -> None:
        with self._changed:  # re-entrant: _drain calls it holding the lock
            self._busy.discard(org_id)
            self._queued.pop(org_id, None)
            self._changed.notify_all()
