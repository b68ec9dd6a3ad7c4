"""``beinspired serve`` as an operator runs it: several gunicorn workers, a shared secret
required for them, and one clear line (never a traceback) when the port is taken."""
from __future__ import annotations

import socket

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
