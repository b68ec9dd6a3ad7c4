"""``beinspired demo`` when its port is taken: one line naming ``--port``, before it loads or
changes anything."""
from __future__ import annotations

import socket

from serving import beinspired


def test_a_port_in_use_stops_the_demo_in_one_line_before_it_loads_anything(tmp_path):
    database = tmp_path / "demo.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = beinspired("demo", "--port", str(port),
                            env={"DATABASE_URL": f"sqlite:///{database}",
                                 "BEINSPIRED_LOG_LEVEL": "WARNING"})
        output = result.communicate(timeout=120)[0]
    assert result.returncode == 1
    assert output.strip().splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use: stop what uses it, "
        "or pick another with --port"]
    assert not database.exists()
