"""What each gunicorn worker does around its life: BLAS threads limited once it is up, and the
impressions it still holds written when it exits."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from content_catalog.tables.learning_tables import PanelImpressionRow
from plugin.crm.demo_org import DemoOrg, load_demo_catalog
from plugin.panel.impressions import ImpressionRecorder
from plugin.panel.view import PanelViews
from plugin.server import PortInUse, ProductionServer, ServerPlan, bind_listener, is_listening
from plugin.settings import Settings
from serving import ROOT

IMPRESSION_ATTR = re.compile(r'data-impression-id="([0-9a-f]{32})"')

BLAS_PROBE = """
import json, numpy
from plugin.server import limit_blas_threads
from threadpoolctl import threadpool_info
limit_blas_threads(1)
print(json.dumps([pool["num_threads"] for pool in threadpool_info()]))
"""


FREEZE_PROBE = """
import gc, sys
from plugin.server import ProductionServer, ServerPlan, bind_listener
from plugin.settings import Settings
server = ProductionServer(Settings(demo_mode=True, database_url=sys.argv[1], log_level="WARNING"),
                          ServerPlan("127.0.0.1", 0, 1, 1), bind_listener("127.0.0.1", 0))
server.wsgi()  # what a worker builds after its fork, before it is ready
before = gc.get_freeze_count()
server.cfg.post_worker_init(None)
print(before, gc.get_freeze_count())
"""


def test_a_ready_worker_puts_what_it_built_at_start_out_of_the_collectors_reach(tmp_path):
    output = subprocess.run(
        [sys.executable, "-c", FREEZE_PROBE, f"sqlite:///{tmp_path / 'f.sqlite3'}"], cwd=ROOT,
        capture_output=True, text=True, check=True).stdout
    before, after = map(int, output.split())
    # Every full collection walked these: 130-170 ms with the whole worker stopped.
    assert before == 0 and after > 100_000


def test_a_multi_worker_claim_holds_its_port_against_any_other_binding():
    claim = bind_listener("127.0.0.1", 0, per_worker=True)
    try:
        port = claim.getsockname()[1]
        assert not is_listening(claim)
        for per_worker in (True, False):
            with pytest.raises(PortInUse):
                bind_listener("127.0.0.1", port, per_worker=per_worker)
    finally:
        claim.close()
    bind_listener("127.0.0.1", port, per_worker=True).close()  # free again once it is closed


def test_a_ready_worker_runs_blas_on_one_thread():
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    output = subprocess.run([sys.executable, "-c", BLAS_PROBE], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True).stdout
    threads = json.loads(output)
    assert threads and set(threads) == {1}


def test_an_exiting_worker_writes_the_impressions_it_still_holds(tmp_path):
    settings = Settings(demo_mode=True, database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
                        log_level="WARNING")
    listener = bind_listener("127.0.0.1", 0)
    server = ProductionServer(settings, ServerPlan("127.0.0.1", 0, 1, 1), listener)
    try:
        app = server.wsgi()  # what a worker builds after its fork
        svc = app.extensions["be_inspired"]
        load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
        svc.impressions = ImpressionRecorder(svc.sessions, interval_s=3600)  # holds them
        svc.panel_views = PanelViews(svc.recommendations, svc.impressions, svc.sessions,
                                     svc.taxonomy_for, svc.today)
        opportunity = DemoOrg().opportunities()[0].opportunity_id
        page = app.test_client().get(f"/panel/{opportunity}").get_data(as_text=True)
        shown = IMPRESSION_ATTR.findall(page)
        assert shown and svc.impressions.pending_rows == len(shown)

        server.cfg.worker_exit(None, None)

        with svc.sessions() as session:
            stored = session.scalar(select(func.count()).select_from(PanelImpressionRow))
        assert stored == len(shown)
        svc.engine.dispose()
    finally:
        os.close(int(server.cfg.bind[0].removeprefix("fd://")))
