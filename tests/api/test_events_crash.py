"""Nothing acknowledged is lost: a server process answers 202 to a batch of events and is then
killed with SIGKILL (no atexit, no flush, nothing); a fresh app on the same SQLite file finds
every event of the batch, and the impressions they name.

The server's recorder is made to wait an hour, so the only impressions written are those the
events needed: the others die with the process, as docs/events.md says they may (no one was told
they were stored).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import select

from content_catalog.tables.learning_tables import PanelEventRow, PanelImpressionRow
from plugin.app import create_app
from plugin.crm.demo_org import DemoOrg
from plugin.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
IMPRESSION_ATTR = re.compile(r'data-impression-id="([0-9a-f]{32})"')

SERVER = textwrap.dedent("""
    import sys
    from werkzeug.serving import make_server
    from plugin.app import create_app
    from plugin.crm.demo_org import load_demo_catalog
    from plugin.panel.impressions import ImpressionRecorder
    from plugin.panel.view import PanelViews
    from plugin.settings import Settings

    app = create_app(Settings(demo_mode=True, database_url=sys.argv[1], log_level="WARNING"))
    svc = app.extensions["be_inspired"]
    load_demo_catalog(svc.engine, svc.sessions, svc.taxonomy)
    svc.impressions = ImpressionRecorder(svc.sessions, interval_s=3600)
    svc.panel_views = PanelViews(svc.recommendations, svc.impressions, svc.sessions,
                                 svc.taxonomy_for, svc.today)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()
""")


def test_events_acknowledged_before_the_server_is_killed_are_all_stored(tmp_path):
    database = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, database], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        first, second = DemoOrg().opportunities()[:2]
        shown = IMPRESSION_ATTR.findall(_get(f"{base}/panel/{first.opportunity_id}"))
        batch = [{"event_id": uuid.uuid4().hex, "impression_id": i, "kind": kind}
                 for i, kind in zip(shown, ["open", "helpful", "share", "copy"])]

        status, receipt = _post(f"{base}/api/v1/events", {"events": batch})
        assert (status, receipt) == (202, {"accepted": 4, "duplicates": 0, "rejected": []})
        never_named = IMPRESSION_ATTR.findall(_get(f"{base}/panel/{second.opportunity_id}"))

        server.send_signal(signal.SIGKILL)
        assert server.wait(timeout=10) == -signal.SIGKILL
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        server.stdout.close()
        server.stderr.close()

    app = create_app(Settings(demo_mode=True, database_url=database, log_level="WARNING"))
    svc = app.extensions["be_inspired"]
    try:
        with svc.sessions() as session:
            events = {row.event_id: row for row in session.scalars(select(PanelEventRow))}
            impressions = set(session.scalars(select(PanelImpressionRow.impression_id)))
    finally:
        svc.engine.dispose()
    assert {e["event_id"]: (e["impression_id"], e["kind"]) for e in batch} == {
        k: (row.impression_id, row.kind) for k, row in events.items()}
    assert set(shown) <= impressions  # written before the events that needed them
    assert impressions.isdisjoint(never_named)  # still queued when the process died


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())
