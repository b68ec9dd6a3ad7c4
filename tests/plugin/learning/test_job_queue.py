"""Background jobs through either queue: in this process (no Redis) or on RQ, where a worker
takes them; a caller follows each job from queued to done or failed."""
from __future__ import annotations

import threading

import pytest
import redis
from rq import Queue, SimpleWorker

from content_catalog.repository import CatalogRepository, ensure_org
from plugin.content.pending_imports import PendingImports
from plugin.jobs.entry import use_services
from plugin.learning.job_queue import (
    CATALOG_IMPORT,
    DONE,
    FAILED,
    QUEUE_NAME,
    QUEUED,
    TRAINING,
    InProcessJobQueue,
    JobOutcome,
    RedisJobQueue,
    UnknownJobKind,
    job_queue,
)
from plugin.services import build_services
from plugin.settings import Settings

ORG, USER = "00D5e00000DEMO1AAA", "0055e00000DEMOL"


def test_in_process_jobs_run_in_order_and_report_their_outcome():
    ran: list[str] = []
    gate = threading.Event()

    def slow(name: str) -> JobOutcome:
        gate.wait(10)
        ran.append(name)
        return JobOutcome(True, f"{name} done")

    def broken(name: str) -> JobOutcome:
        raise RuntimeError(f"{name} broke")

    queue = InProcessJobQueue({"slow": slow, "broken": broken, "refused": lambda: JobOutcome(
        False, "Salesforce is down")})
    first, second = queue.enqueue("slow", name="a"), queue.enqueue("slow", name="b")
    assert queue.state(second).state == QUEUED and queue.depth() >= 1
    gate.set()
    assert queue.wait(second).summary == "b done"
    assert ran == ["a", "b"] and queue.state(first).state == DONE

    assert queue.wait(queue.enqueue("broken", name="c")).summary == "RuntimeError: c broke"
    refused = queue.wait(queue.enqueue("refused"))
    assert (refused.state, refused.summary) == (FAILED, "Salesforce is down")
    assert queue.state("0" * 32) is None
    with pytest.raises(UnknownJobKind):
        queue.enqueue("mining")


def test_the_queue_follows_the_redis_setting(jobs_redis_url):
    assert isinstance(job_queue(None, {TRAINING: lambda: None}), InProcessJobQueue)
    assert isinstance(job_queue(jobs_redis_url, {TRAINING: lambda: None}), RedisJobQueue)


def test_a_job_on_rq_is_run_by_a_worker_and_its_outcome_kept(jobs_redis_url, tmp_path):
    svc = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'rq.sqlite3'}",
                                  redis_url=jobs_redis_url))
    from content_catalog.database import upgrade

    upgrade(svc.engine)
    job_id = svc.jobs.enqueue(TRAINING, org_id="00D000000000001EAA")
    assert svc.jobs.state(job_id).state == QUEUED and svc.jobs.depth() == 1

    connection = redis.Redis.from_url(jobs_redis_url)
    use_services(svc)  # what `beinspired worker` does with the services it built
    try:
        SimpleWorker([Queue(QUEUE_NAME, connection=connection)],
                     connection=connection).work(burst=True)
    finally:
        use_services(None)
    state = svc.jobs.state(job_id)
    assert state.state == DONE and state.result == "nothing_stored"
    assert "nothing to learn yet" in state.summary and svc.jobs.depth() == 0
    assert state.params == {"org_id": "00D000000000001EAA"}
    svc.engine.dispose()


def test_an_import_confirmed_on_the_web_is_applied_by_a_worker_through_rq(jobs_redis_url, engine):
    """The web process stages the upload and enqueues; a worker (its own services, the same
    database) applies it in one transaction; the web follows the job to its result."""
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        redis_url=jobs_redis_url)
    web, worker = build_services(settings, engine=engine), build_services(settings, engine=engine)
    with web.sessions.begin() as session:
        ensure_org(session, ORG, ORG)
    token = PendingImports(web.sessions).save(
        org_id=ORG, user_id=USER, filename="modules.csv", fmt="csv",
        data=b"id,title,summary,body,link,kind,audience,author,status,review_by,"
             b"tags.journey_phase,tags.buyer_role,tags.industry,tags.deal_stage,tags.challenge,"
             b"tags.deal_size\nroi-brief,ROI brief,,Body,,value_message,client_facing,Ana,"
             b"published,,buying,Economic Buyer,,,,\n")
    job_id = web.jobs.enqueue(CATALOG_IMPORT, org_id=ORG, user_id=USER, token=token, actor="Ana",
                              filename="modules.csv")
    assert web.jobs.state(job_id).state == QUEUED
    with web.sessions() as session:
        assert CatalogRepository(session, ORG).count() == 0

    connection = redis.Redis.from_url(jobs_redis_url)
    use_services(worker)
    try:
        SimpleWorker([Queue(QUEUE_NAME, connection=connection)],
                     connection=connection).work(burst=True)
    finally:
        use_services(None)
    state = web.jobs.state(job_id)
    assert (state.state, state.result) == (DONE, "imported")
    assert state.summary == "modules.csv: 1 created, 0 updated, 0 unchanged"
    with web.sessions() as session:
        assert [m.key for m in CatalogRepository(session, ORG).list()] == ["roi-brief"]

    again = web.jobs.enqueue(CATALOG_IMPORT, org_id=ORG, user_id=USER, token=token, actor="Ana",
                             filename="modules.csv")
    use_services(worker)
    try:
        SimpleWorker([Queue(QUEUE_NAME, connection=connection)],
                     connection=connection).work(burst=True)
    finally:
        use_services(None)
    assert (web.jobs.state(again).state, web.jobs.state(again).result) == (FAILED, "gone")
    connection.close()
