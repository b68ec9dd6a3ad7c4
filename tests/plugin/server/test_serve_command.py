"""``beinspired serve`` as an operator runs it: several gunicorn workers, a shared secret
required for them, and one clear line (never a traceback) when the port is taken."""
from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import requests

from serving import SECRET, beinspired, children_of, free_port, stop, wait_until_healthy


def _env(tmp_path, **extra):
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
            "BEINSPIRED_LOG_LEVEL": "WARNING", "BEINSPIRED_WEB_WORKERS": None, **extra}


def test_serve_runs_the_asked_number_of_worker_processes(tmp_path):
    port = free_port()
    server = beinspired("serve", "--port", str(port), "--workers", "2", "--threads", "2",
                        env=_env(tmp_path, BEINSPIRED_APP_SECRET=SECRET))
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
        assert len(children_of(server.pid)) == 2
        answers = {requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
                   for _ in range(20)}
        assert answers == {200}
    finally:
        assert stop(server) == 0
    assert "Traceback" not in server.stdout.read()


def test_several_workers_without_a_shared_secret_is_refused_in_one_line(tmp_path):
    result = beinspired("serve", "--port", str(free_port()), "--workers", "2",
                        env=_env(tmp_path, BEINSPIRED_APP_SECRET=None))
    output = result.communicate(timeout=60)[0]
    assert result.returncode == 1
    assert output.strip().splitlines() == [
        "Error: BEINSPIRED_APP_SECRET must be set (32+ characters) to serve with 2 worker "
        "processes, which must all sign panel tokens alike (or serve with --workers 1)"]


def test_a_port_in_use_is_one_line_naming_the_port_option(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = beinspired("serve", "--port", str(port), "--workers", "1", env=_env(tmp_path))
        output = result.communicate(timeout=60)[0]
    assert result.returncode == 1
    lines = output.strip().splitlines()
    assert lines == [f"Error: port {port} on 127.0.0.1 is already in use: stop what uses it, "
                     "or pick another with --port"]


def _listening_sockets(port: int) -> int:
    """Sockets in LISTEN state on ``port`` (IPv4), read from the kernel's table."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].rsplit(":", 1)[1], 16) == port and row[3] == "0A")


def test_each_worker_listens_on_its_own_socket_and_a_second_server_cannot_join_them(tmp_path):
    port = free_port()
    env = _env(tmp_path, BEINSPIRED_APP_SECRET=SECRET)
    server = beinspired("serve", "--port", str(port), "--workers", "2", "--threads", "2", env=env)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
        # The kernel spreads new connections over the two workers' sockets; the arbiter's
        # claim on the port is bound but not listening.
        assert _listening_sockets(port) == 2
        second = beinspired("serve", "--port", str(port), "--workers", "2", env=env)
        output = second.communicate(timeout=60)[0]
        assert second.returncode == 1
        assert output.strip().splitlines() == [
            f"Error: port {port} on 127.0.0.1 is already in use: stop what uses it, or pick "
            "another with --port"]
        assert _listening_sockets(port) == 2
    finally:
        assert stop(server) == 0
    assert "Traceback" not in server.stdout.read()


def test_one_worker_needs_no_shared_secret(tmp_path):
    port = free_port()
    server = beinspired("serve", "--port", str(port), "--workers", "1",
                        env=_env(tmp_path, BEINSPIRED_APP_SECRET=None))
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server)
        assert len(children_of(server.pid)) == 1
    finally:
        stop(server)


def test_a_stopped_server_exits_cleanly_within_its_grace_time(tmp_path):
    port = free_port()
    server = beinspired("serve", "--port", str(port), "--workers", "1", env=_env(tmp_path))
    wait_until_healthy(f"http://127.0.0.1:{port}", server)
    assert stop(server, seconds=20) == 0


def test_metrics_add_up_every_workers_panel_views(tmp_path):
    env = _env(tmp_path, BEINSPIRED_APP_SECRET=SECRET, BEINSPIRED_DEMO_MODE="true",
               BEINSPIRED_METRICS_TOKEN="metrics-token-0123456789",
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    loaded = beinspired("load-demo", "--no-history", env=env)
    assert loaded.wait(timeout=120) == 0, loaded.stdout.read()
    port = free_port()
    server = beinspired("serve", "--port", str(port), "--workers", "2", "--threads", "2",
                        env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, server)
        def view(n):  # a new connection each, eight at once: both workers answer some
            # Each its own context (amount), so each is ranked: the same context posted again
            # is a remembered list, fast enough for one worker to take all 60.
            return requests.post(f"{base}/api/v1/recommendations", timeout=30,
                                 json={"stage": "Prospecting", "industry": "Healthcare",
                                       "amount": 10_000 + n})

        with ThreadPoolExecutor(8) as pool:
            assert {answer.status_code for answer in pool.map(view, range(60))} == {200}
        page = requests.get(f"{base}/metrics", timeout=10,
                            headers={"Authorization": "Bearer metrics-token-0123456789"}).text
        samples = [line for line in page.splitlines()
                   if line.startswith('beinspired_panel_seconds_count{route="api_context"}')]
        assert samples == ['beinspired_panel_seconds_count{route="api_context"} 60.0']
        writers = {path.stem.rsplit("_", 1)[1]
                   for path in (tmp_path / "metrics").glob("histogram_*.db")}
        assert len(writers) == 2  # the figure above is the sum of two workers' own
    finally:
        stop(server)
