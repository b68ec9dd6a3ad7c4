"""The benchmarks' fake Salesforce takes connections as Salesforce does: many at once, each on
its own, so a cold-view row measures the server under test, not the fake."""
from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from plugin.benchmarks.fake_salesforce import FakeSalesforce, salesforce_records

CLIENTS = 24


@pytest.fixture()
def fake():
    records = [record for record, _ in salesforce_records(3)]
    with FakeSalesforce(records, delay_s=0.05) as server:
        yield server, records


def _query(fake: FakeSalesforce, record_id: str) -> dict:
    soql = quote(f"SELECT Id FROM Opportunity WHERE Id = '{record_id}'")
    response = requests.get(f"{fake.instance_url}/services/data/v59.0/query?q={soql}",
                            verify=fake.ca_bundle, timeout=10)
    response.raise_for_status()
    return response.json()


def test_a_client_silent_in_its_handshake_holds_up_no_other_client(fake):
    server, records = fake
    port = int(server.instance_url.rsplit(":", 1)[1])
    silent = socket.create_connection(("127.0.0.1", port))  # connects, never says hello
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(lambda n: _query(server, records[n % 3]["Id"]),
                                    range(CLIENTS)))
    finally:
        silent.close()
    assert [a["records"][0]["Id"] for a in answers] == [records[n % 3]["Id"]
                                                        for n in range(CLIENTS)]
    assert server.calls == CLIENTS


def test_an_unknown_record_is_an_empty_answer_and_another_path_not_found(fake):
    server, _ = fake
    assert _query(server, "0065e00000ZZZZZAAA") == {"totalSize": 0, "done": True, "records": []}
    response = requests.get(f"{server.instance_url}/services/data/v59.0/sobjects",
                            verify=server.ca_bundle, timeout=10)
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
