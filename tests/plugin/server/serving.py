"""``beinspired`` commands run as real subprocesses on free loopback ports, for the tests of the
production server (and, in tests/deploy, of the Procfile's processes)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]
SECRET = "test-secret-" + "x" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def beinspired(*args: str, env: dict[str, str | None], **kwargs) -> subprocess.Popen:
    """``beinspired ARGS`` in the background, its output captured; ``env`` adds to the
    environment, and a None there removes the variable."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    environment = {name: value for name, value in environment.items() if value is not None}
    return subprocess.Popen(
        [sys.executable, "-c", "from plugin.cli import main; main()", *args], cwd=ROOT,
        env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, **kwargs)


def wait_until_healthy(base: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or its workers still loading
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"the server did not start:\n{process.stdout.read()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen, seconds: float = 30) -> int:
    """SIGTERM, as a process manager stops a service; then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found
