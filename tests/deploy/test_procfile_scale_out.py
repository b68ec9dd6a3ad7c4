"""The Procfile as a platform runs it: two web processes and two workers (honcho), one
PostgreSQL database (a schema of this test's own) and one Redis (database 12), as on two
machines. Shows that a catalog edit reaches both web processes, that each scheduled job runs once
however many workers keep the schedule (and not again after a restart), and that the
Salesforce API-limit breaker one process opens is open in every process.

Part of the normal suite, bounded: about 40 s here; each wait gives up after its own limit.
"""
from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests

from content_catalog.database import make_engine, session_factory
from content_catalog.editing import ModuleEditor
from content_catalog.repository import CatalogRepository
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.crm.salesforce.breakers import breaker_store
from plugin.crm.salesforce.health import OrgHealth

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("BEINSPIRED_TEST_DEPLOY_REDIS_URL", "redis://127.0.0.1:6379/12")
ORG_ID = "00D5e0000000SCAEA2"
SECRET = "procfile-test-secret-" + "y" * 32
CONTEXT = {"stage": "Proposal/Price Quote", "industry": "Healthcare",
           "buyer_roles": ["Economic Buyer"], "description": "audit costs"}


@pytest.fixture
def redis12():
    client = redis.Redis.from_url(REDIS_URL)
    _empty(client)
    yield client
    _empty(client)
    client.close()


def _empty(client) -> None:
    for pattern in ("rq:*", "beinspired:*", "bi-limits*"):
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)


def _cli(env, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "plugin.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def honcho(env, base_port: int, log: Path):
    """``honcho start`` of the Procfile's web (×2) and worker (×2): as a platform would."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "honcho", "-f", "Procfile", "start", "-p", str(base_port),
             "-c", "web=2,worker=2", "web", "worker"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            process.terminate()  # honcho passes SIGTERM on to every process
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def _wait(condition, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not within {seconds} s; processes said:\n"
                         f"{log.read_text()[-4000:]}")


def _up(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _titles(url: str) -> set[str]:
    answer = requests.post(f"{url}/api/v1/recommendations", json=CONTEXT, timeout=10).json()
    return {card["title"] for group in ("client_facing", "internal") for card in answer[group]}


#: The periodic jobs of the deployment: the demo org's outcome sync, training, analytics roll-ups.
SCHEDULED = ("outcome_sync", "training", "analytics_rollup")


def _job_runs(log: Path, kind: str) -> int:
    return len(re.findall(rf"job {kind}\b[^\n]*: (done|failed)", log.read_text()))


def test_the_procfile_scales_out_across_processes(schema_url, redis12, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": schema_url,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # the Procfile's python
           "REDIS_URL": REDIS_URL, "BEINSPIRED_APP_SECRET": SECRET,
           "BEINSPIRED_DEMO_MODE": "true", "BEINSPIRED_WEB_WORKERS": "1",
           "BEINSPIRED_WEB_THREADS": "2", "BEINSPIRED_SCHEDULE_POLL_SECONDS": "0.5",
           "BEINSPIRED_LOG_LEVEL": "INFO",
           "BEINSPIRED_ENCRYPTION_KEYS": "G3OXyNOd1f3YmWlJ0i9pAsS3dbGkwQkh_eOTSrGxe1k="}
    _cli(env, "init-db")  # the release phase
    _cli(env, "load-demo", "--no-history")
    _cli({**env, "SF_CANVAS_SECRET": "canvas-secret-for-the-test"}, "org", "add", "--org-id",
         ORG_ID, "--name", "Scale", "--instance-url", "https://scale.my.salesforce.com",
         "--auth", "canvas")
    token = re.search(r"bip_\S+", _cli(env, "token", "create", "--org", ORG_ID, "--name", "ops",
                                       "--role", "admin")).group(0)
    base = 5000 + os.getpid() % 2000 * 2
    webs = [f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"]  # web.1, web.2
    log = tmp_path / "honcho.log"

    with honcho(env, base, log):
        _wait(lambda: all(_up(url) for url in webs), 60, "both web processes ready", log)

        # A catalog edit reaches both web processes.
        engine = make_engine(schema_url)
        sessions = session_factory(engine)
        before = _titles(webs[0])
        assert _titles(webs[1]) == before
        with sessions.begin() as session:
            key = next(m.key for m in CatalogRepository(session, DEMO_ORG_ID).list()
                       if m.title in before)
            module = CatalogRepository(session, DEMO_ORG_ID).get(key)
            ModuleEditor(session, DEMO_ORG_ID, "procfile-test").update(
                key, dataclasses.replace(module, title="Edited across processes"),
                module.version)
        edited = time.monotonic()
        seen = [_wait(lambda u=url: "Edited across processes" in _titles(u) and
                      time.monotonic() - edited, 30, f"the edit on {url}", log)
                for url in webs]
        print(f"catalog edit served by web.1 after {seen[0]:.3f} s, web.2 after {seen[1]:.3f} s")

        # The breaker one process opens is open in every process.
        def breaker_open(url: str) -> bool:
            status = requests.get(f"{url}/api/v1/admin/orgs/{ORG_ID}/status", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"}).json()
            return status["live"]["breaker_open"]

        assert not any(breaker_open(url) for url in webs)
        OrgHealth(ORG_ID, breakers=breaker_store(REDIS_URL)).open_breaker(
            "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.")
        assert all(breaker_open(url) for url in webs)

        # Each scheduled job ran once, though two workers keep the schedule.
        _wait(lambda: all(_job_runs(log, kind) for kind in SCHEDULED), 30,
              "the scheduled jobs", log)
        time.sleep(3)  # six more polls of each worker: nothing may run again
        assert [_job_runs(log, kind) for kind in SCHEDULED] == [1, 1, 1]
        engine.dispose()

    # Restarted, the workers run nothing before the next slot: the schedule is in Redis.
    restarted_log = tmp_path / "honcho-restarted.log"
    with honcho(env, base, restarted_log):
        _wait(lambda: all(_up(url) for url in webs), 60, "both web processes ready", restarted_log)
        _wait(lambda: restarted_log.read_text().count("worker started on RQ queue") == 2, 30,
              "both workers", restarted_log)
        time.sleep(3)
    assert [_job_runs(restarted_log, kind) for kind in SCHEDULED] == [0, 0, 0]
