"""OrgRefits: each org's refits run off the request, one at a time, once however often asked."""
from __future__ import annotations

import threading

import pytest

from plugin.ranking.refits import OrgRefits


class HeldThreads:
    """A thread starter that holds each thread until the test runs it: what runs when is the
    test's choice, with no timing involved."""

    def __init__(self):
        self.held: list = []

    def __call__(self, work) -> None:
        self.held.append(work)

    def run_next(self) -> None:
        self.held.pop(0)()


@pytest.fixture
def threads():
    return HeldThreads()


@pytest.fixture
def refits(threads):
    return OrgRefits(start=threads)


def test_a_refit_runs_off_the_request_and_the_org_is_busy_until_it_ends(refits, threads):
    ran = []
    refits.request("org-a", "v1", lambda: ran.append("v1"))
    assert ran == [] and refits.busy("org-a")
    threads.run_next()
    assert ran == ["v1"] and not refits.busy("org-a")
    assert refits.wait_idle(timeout=0)


def test_one_thread_per_org_runs_its_refits_one_after_the_other(refits, threads):
    ran = []
    refits.request("org-a", "v1", lambda: ran.append(("org-a", "v1")))
    refits.request("org-a", "learned", lambda: ran.append(("org-a", "learned")))
    refits.request("org-b", "v1", lambda: ran.append(("org-b", "v1")))
    assert len(threads.held) == 2  # one per org
    threads.run_next()
    assert ran == [("org-a", "v1"), ("org-a", "learned")]
    threads.run_next()
    assert ran[-1] == ("org-b", "v1")


def test_a_refit_asked_for_many_times_while_queued_runs_once(refits, threads):
    ran = []
    for view in range(50):
        refits.request("org-a", "v1", lambda view=view: ran.append(view))
    threads.run_next()
    assert ran == [49]  # the latest asked


def test_a_refit_asked_for_while_it_runs_runs_once_more_afterwards(refits, threads):
    ran = []

    def refit():
        ran.append(len(ran))
        if len(ran) == 1:  # the catalog moves while the first run reads it
            refits.request("org-a", "v1", refit)
            refits.request("org-a", "v1", refit)

    refits.request("org-a", "v1", refit)
    threads.run_next()
    assert ran == [0, 1]
    assert threads.held == []


def test_a_failed_refit_is_logged_and_the_next_one_still_runs(refits, threads, caplog):
    ran = []

    def broken():
        raise ValueError("bad catalog")

    refits.request("org-a", "learned", broken)
    refits.request("org-a", "v1", lambda: ran.append("v1"))
    threads.run_next()
    assert ran == ["v1"] and not refits.busy("org-a")
    assert "background refit of learned failed" in caplog.text


def test_a_refit_that_cannot_start_a_thread_leaves_the_org_free_to_ask_again():
    def no_threads(work):
        raise RuntimeError("can't create new thread at interpreter shutdown")

    refits = OrgRefits(start=no_threads)
    with pytest.raises(RuntimeError):
        refits.request("org-a", "v1", lambda: None)
    assert not refits.busy("org-a")


def test_refits_run_on_real_threads_and_wait_idle_returns_when_they_end():
    refits = OrgRefits()
    started, release = threading.Event(), threading.Event()

    def refit():
        started.set()
        assert release.wait(timeout=30)

    refits.request("org-a", "v1", refit)
    assert started.wait(timeout=30)
    assert refits.busy("org-a") and not refits.wait_idle(timeout=0)
    release.set()
    assert refits.wait_idle(timeout=30)
    assert not refits.busy("org-a")
