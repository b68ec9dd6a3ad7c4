"""What each gunicorn worker does around its life: BLAS threads limited once it is up, and the
impressions it still holds written when it exits."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from sqlalchemy import func, select

from content_catalog.tables.learning_tables import PanelImpressionRow
from plugin.crm.demo_org import DemoOrg, load_demo_catalog
from plugin.panel.impressions import ImpressionRecorder
from plugin.panel.view import PanelViews
from plugin.server import ProductionServer, ServerPlan, bind_listener
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
