"""The worker's scheduler, driven by a fake clock (no test sleeps), and the service's jobs."""
from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from pydantic import ValidationError

from content_catalog.analytics_rollups import AnalyticsRollups
from content_catalog.database import make_engine, session_factory
from content_catalog.deal_outcomes import DealOutcomes
from plugin.cli import main
from plugin.crm.demo_org import DEMO_ORG_ID, load_demo_catalog
from plugin.learning.jobs import (
    OUTCOME_SYNC, TRAINING, Job, JobFailed, Scheduler, following_slot, run_outcome_sync,
    run_training, service_jobs,
)
from plugin.learning.outcome_sync import OutcomeSync
from plugin.learning.training import Trainer
from plugin.services import build_services
from plugin.settings import Settings
from tests.plugin.learning.outcome_fakes import FakeSalesforce, acme_org, services_on
from tests.plugin.crm.salesforce.sf_fakes import ORG_ID, FakeClock

ROOT = Path(__file__).resolve().parents[3]
HOUR, DAY = 3600.0, 86_400.0


class Recorder:
    """Jobs that note when they ran, and optionally take time or fail."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.ran: list[tuple[str, float]] = []

    def job(self, name: str, interval: float, *, takes: float = 0.0,
            fails: BaseException | None = None, org_id: str | None = None) -> Job:
        def run() -> str:
            self.ran.append((name, self.clock()))
            self.clock.advance(takes)
            if fails is not None:
                raise fails
            return f"{name} done"
        return Job(name, org_id, interval, run)

    def names(self) -> list[str]:
        return [name for name, _ in self.ran]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=1000.0)


@pytest.fixture
def recorder(clock) -> Recorder:
    return Recorder(clock)


def test_every_job_runs_at_start_then_each_on_its_own_interval(clock, recorder):
    jobs = [recorder.job("sync", HOUR), recorder.job("train", DAY)]
    scheduler = Scheduler(lambda: jobs, clock=clock)
    assert [run.name for run in scheduler.run_due()] == ["sync", "train"]
    clock.advance(HOUR - 1)
    assert scheduler.run_due() == []
    clock.advance(1)
    assert [run.name for run in scheduler.run_due()] == ["sync"]
    clock.advance(DAY - HOUR)
    assert [run.name for run in scheduler.run_due()] == ["sync", "train"]
    assert recorder.ran == [("sync", 1000.0), ("train", 1000.0), ("sync", 1000.0 + HOUR),
                            ("sync", 1000.0 + DAY), ("train", 1000.0 + DAY)]


def test_a_slow_job_does_not_shift_its_grid(clock, recorder):
    scheduler = Scheduler(lambda: [recorder.job("sync", HOUR, takes=600)], clock=clock)
    scheduler.run_due()
    clock.advance(HOUR - 600 - 1)  # just before start + 1 h, although 1 h since it ended is later
    assert scheduler.run_due() == []
    clock.advance(1)
    assert len(scheduler.run_due()) == 1 and recorder.ran[-1][1] == 1000.0 + HOUR


def test_missed_slots_are_skipped_not_run_in_a_burst(clock, recorder):
    scheduler = Scheduler(lambda: [recorder.job("sync", HOUR, takes=2.5 * HOUR)], clock=clock)
    scheduler.run_due()
    assert scheduler.run_due() == []  # 1 h and 2 h were missed while it ran
    clock.advance(0.5 * HOUR)
    assert len(scheduler.run_due()) == 1 and recorder.ran[-1][1] == 1000.0 + 3 * HOUR


@pytest.mark.parametrize("scheduled, now, expected", [
    (0, 0, 10), (0, 9.9, 10), (0, 10, 20), (0, 35, 40), (100, 50, 110),
])
def test_the_following_slot_is_the_first_grid_point_after_now(scheduled, now, expected):
    assert following_slot(scheduled, 10, now) == expected


def test_a_failing_job_is_logged_and_runs_again_at_its_next_slot(clock, recorder, caplog):
    jobs = [recorder.job("sync", HOUR, fails=ZeroDivisionError("bug")), recorder.job("train", DAY)]
    scheduler = Scheduler(lambda: jobs, clock=clock)
    with caplog.at_level(logging.INFO, logger="plugin.learning.jobs"):
        runs = scheduler.run_due()
    assert [(r.name, r.ok) for r in runs] == [("sync", False), ("train", True)]
    failure = next(r for r in caplog.records if "sync" in r.getMessage())
    assert failure.levelno == logging.ERROR and failure.exc_info is not None
    clock.advance(HOUR)
    assert [r.name for r in scheduler.run_due()] == ["sync"]


def test_a_known_failure_is_logged_without_a_trace(clock, recorder, caplog):
    jobs = [recorder.job("sync", HOUR, fails=JobFailed("Salesforce answered 503"))]
    with caplog.at_level(logging.INFO, logger="plugin.learning.jobs"):
        (run,) = Scheduler(lambda: jobs, clock=clock).run_due()
    assert not run.ok and run.summary == "Salesforce answered 503"
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is None


def test_jobs_added_later_run_at_once_and_removed_ones_are_dropped(clock, recorder):
    jobs = [recorder.job("sync", HOUR, org_id="A")]
    scheduler = Scheduler(lambda: list(jobs), clock=clock)
    scheduler.run_due()
    clock.advance(60)
    jobs[:] = [recorder.job("sync", HOUR, org_id="B")]
    assert [r.org_id for r in scheduler.run_due()] == ["B"]
    clock.advance(HOUR)
    assert [r.org_id for r in scheduler.run_due()] == ["B"]


def test_a_failure_to_list_jobs_keeps_the_previous_list(clock, recorder):
    listings = [[recorder.job("sync", HOUR)]]

    def jobs():
        if not listings:
            raise ConnectionError("database down")
        return listings.pop()

    scheduler = Scheduler(jobs, clock=clock)
    scheduler.run_due()
    assert not scheduler.listing_failed
    clock.advance(HOUR)
    assert [r.name for r in scheduler.run_due()] == ["sync"]
    assert scheduler.listing_failed


def test_a_failure_to_list_jobs_is_told_and_a_later_listing_clears_it(clock, recorder):
    listings: list = [ConnectionError("database down"), [recorder.job("sync", HOUR)]]

    def jobs():
        listing = listings.pop(0)
        if isinstance(listing, Exception):
            raise listing
        return listing

    scheduler = Scheduler(jobs, clock=clock)
    assert scheduler.run_due() == [] and scheduler.listing_failed
    assert [r.name for r in scheduler.run_due()] == ["sync"] and not scheduler.listing_failed


class FakeStop:
    """A stop event whose wait advances the fake clock; set after ``rounds`` waits."""

    def __init__(self, clock: FakeClock, rounds: int):
        self.clock, self.rounds, self.waits = clock, rounds, []

    def is_set(self) -> bool:
        return len(self.waits) >= self.rounds

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        self.clock.advance(timeout)
        return self.is_set()


def test_the_loop_waits_until_the_next_job_is_due_and_rereads_the_list_each_minute(clock,
                                                                                   recorder):
    scheduler = Scheduler(lambda: [recorder.job("sync", 150)], clock=clock, refresh_seconds=60)
    stop = FakeStop(clock, rounds=4)
    scheduler.run_until(stop)
    assert stop.waits == [60, 60, 30, 60]
    assert [at for _, at in recorder.ran] == [1000.0, 1150.0]


def test_the_loop_stops_between_jobs_when_told(clock, recorder):
    stop = FakeStop(clock, rounds=1)
    first = Job("first", None, HOUR, lambda: stop.waits.append(0) or "stopping")
    scheduler = Scheduler(lambda: [first, recorder.job("second", HOUR)], clock=clock)
    scheduler.run_until(stop)
    assert recorder.ran == []


# The service's jobs --------------------------------------------------------------------------
def jobs_of(svc, names=(OUTCOME_SYNC, TRAINING)):
    return service_jobs(svc.outcome_sync, svc.trainer, today=svc.today, names=names,
                        outcome_sync_interval=svc.settings.outcome_sync_interval,
                        training_interval=svc.settings.training_interval)


def test_the_service_syncs_every_syncable_org_then_trains(engine):
    svc = services_on(engine, acme_org(), demo_mode=True)
    jobs = jobs_of(svc)
    assert [(j.name, j.org_id, j.interval) for j in jobs] == [
        (OUTCOME_SYNC, DEMO_ORG_ID, 3600.0), (OUTCOME_SYNC, ORG_ID, 3600.0),
        (TRAINING, None, 86_400.0)]


def test_the_service_lists_only_the_jobs_asked_for(engine, monkeypatch):
    svc = services_on(engine, acme_org(), demo_mode=True)
    assert [(j.name, j.org_id) for j in jobs_of(svc, [OUTCOME_SYNC])] == [
        (OUTCOME_SYNC, DEMO_ORG_ID), (OUTCOME_SYNC, ORG_ID)]

    def no_orgs_to_ask_for(outcome_sync):
        raise AssertionError("training alone must not list the syncable orgs")

    monkeypatch.setattr(OutcomeSync, "syncable_orgs", no_orgs_to_ask_for)
    assert [(j.name, j.org_id) for j in jobs_of(svc, [TRAINING])] == [(TRAINING, None)]


def test_the_intervals_come_from_the_environment_and_are_checked(engine, monkeypatch):
    monkeypatch.setenv("BEINSPIRED_OUTCOME_SYNC_INTERVAL", "900")
    monkeypatch.setenv("BEINSPIRED_TRAINING_INTERVAL", "43200")
    svc = dataclasses.replace(services_on(engine, demo_mode=True), settings=Settings())
    assert [j.interval for j in jobs_of(svc)] == [900.0, 43_200.0]
    monkeypatch.setenv("BEINSPIRED_OUTCOME_SYNC_INTERVAL", "5")
    with pytest.raises(ValidationError, match="outcome_sync_interval"):
        Settings()


def test_a_failed_sync_is_a_failed_job(engine):
    svc = services_on(engine, acme_org())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakeSalesforce(mock).error(403, "error_request_limit.json")
        with pytest.raises(JobFailed, match="REQUEST_LIMIT_EXCEEDED"):
            run_outcome_sync(svc.outcome_sync, ORG_ID)


class FakeTraining:
    def __init__(self, line: str, failed: bool = False):
        self._line, self.failed = line, failed

    def line(self) -> str:
        return self._line


class FakeTrainer:
    def __init__(self, *reports: FakeTraining):
        self.reports = list(reports)

    def train_all(self, today):
        return self.reports


def test_training_reports_each_org_and_fails_when_one_org_failed():
    assert run_training(FakeTrainer(FakeTraining("org A: version 2")), date.today) == (
        "org A: version 2")
    trainer = FakeTrainer(FakeTraining("org A: version 2"),
                          FakeTraining("org B: FAILED: boom", failed=True))
    with pytest.raises(JobFailed, match="org B: FAILED: boom"):
        run_training(trainer, date.today)


# beinspired worker ---------------------------------------------------------------------------
@pytest.fixture
def demo_database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    svc = build_services(Settings(database_url=url))
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    svc.engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("BEINSPIRED_ENCRYPTION_KEYS", raising=False)
    return url


def demo_outcomes(url: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return len(DealOutcomes(session, DEMO_ORG_ID).by_opportunity())
    finally:
        engine.dispose()


def test_worker_once_runs_every_job_and_exits(demo_database, monkeypatch):
    trained = []
    monkeypatch.setattr(Trainer, "train_all", lambda trainer, today: trained.append(1) or [])
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert trained == [1] and demo_outcomes(demo_database) > 0


def test_worker_once_exits_1_when_a_job_failed(demo_database, monkeypatch):
    monkeypatch.setattr(Trainer, "train_all",
                        lambda trainer, today: [FakeTraining("org X: FAILED: boom", failed=True)])
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 1 and demo_outcomes(demo_database) > 0


def test_worker_once_job_outcomes_syncs_without_training(demo_database, monkeypatch):
    trained = []
    monkeypatch.setattr(Trainer, "train_all", lambda trainer, today: trained.append(1) or [])
    result = CliRunner().invoke(main, ["worker", "--once", "--job", "outcomes"])
    assert result.exit_code == 0, result.output
    assert trained == [] and demo_outcomes(demo_database) > 0


def test_worker_once_job_training_trains_without_syncing(demo_database, monkeypatch):
    trained = []
    monkeypatch.setattr(Trainer, "train_all", lambda trainer, today: trained.append(1) or [])
    result = CliRunner().invoke(main, ["worker", "--once", "--job", "training"])
    assert result.exit_code == 0, result.output
    assert trained == [1] and demo_outcomes(demo_database) == 0


def test_worker_job_can_be_repeated_and_refuses_an_unknown_kind(demo_database, monkeypatch):
    trained = []
    monkeypatch.setattr(Trainer, "train_all", lambda trainer, today: trained.append(1) or [])
    result = CliRunner().invoke(
        main, ["worker", "--once", "--job", "outcomes", "--job", "training"])
    assert result.exit_code == 0, result.output
    assert trained == [1] and demo_outcomes(demo_database) > 0
    unknown = CliRunner().invoke(main, ["worker", "--once", "--job", "emails"])
    assert unknown.exit_code == 2 and (
        "'emails' is not one of 'analytics', 'outcomes', 'training'" in unknown.output)


def test_worker_once_job_analytics_rolls_up_every_org_without_syncing(demo_database, monkeypatch):
    trained = []
    monkeypatch.setattr(Trainer, "train_all", lambda trainer, today: trained.append(1) or [])
    result = CliRunner().invoke(main, ["worker", "--once", "--job", "analytics"])
    assert result.exit_code == 0, result.output
    assert trained == [] and demo_outcomes(demo_database) == 0
    engine = make_engine(demo_database)
    try:
        with session_factory(engine)() as session:
            assert AnalyticsRollups(session, DEMO_ORG_ID).state() is not None
    finally:
        engine.dispose()


def test_worker_once_exits_1_when_the_jobs_could_not_be_listed(demo_database, monkeypatch):
    def database_down(outcome_sync):
        raise ConnectionError("database down")

    monkeypatch.setattr(OutcomeSync, "syncable_orgs", database_down)
    result = CliRunner().invoke(main, ["worker", "--once", "--job", "outcomes"])
    assert result.exit_code == 1
    assert demo_outcomes(demo_database) == 0


def test_worker_stops_cleanly_on_sigterm(demo_database):
    env = {**os.environ, "DATABASE_URL": demo_database, "BEINSPIRED_LOG_LEVEL": "INFO"}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "beinspired"), "worker"],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in worker.stderr:  # ends if the worker dies
            seen.append(line)
            if "job training" in line:
                break
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    log = "".join(seen) + rest
    assert worker.returncode == 0, log
    assert f"job outcome_sync {DEMO_ORG_ID}: done" in log and "worker stopped" in log
    assert "Traceback" not in log
