"""Salesforce for the benchmarks: a loopback HTTPS server answering queries with Salesforce-shaped
records after a fixed delay, and the Canvas signed requests its pages would POST."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from plugin.crm.salesforce.ids import to_18

__all__ = ["FakeSalesforce", "salesforce_records", "signed_request"]

VIEWER_ID = to_18("0055e00000BnCh1")
_RECORD_ID = re.compile(r"\bId\s*=\s*'([A-Za-z0-9]{15,18})'")
_QUERY_PATH = re.compile(r"^/services/data/v[0-9.]+/query/?$")


def salesforce_records(n: int) -> list[tuple[dict[str, Any], str]]:
    """``n`` query rows in Salesforce's shape, each with a fresh valid 18-character Id, paired
    with the demo opportunity it copies (the demo baseline opens that one)."""
    text = files("plugin.crm.demo_org").joinpath("opportunities.json").read_text(encoding="utf-8")
    templates = json.loads(text)
    records = []
    for i in range(n):
        template = templates[i % len(templates)]
        record = copy.deepcopy(template)
        record["Id"] = to_18(f"0065e{i:010d}", prefix="006")
        record["attributes"]["url"] = f"/services/data/v59.0/sobjects/Opportunity/{record['Id']}"
        records.append((record, template["Id"]))
    return records


class FakeSalesforce:
    """The org's query endpoint at ``instance_url``: answers each SOQL query for a known record
    after ``delay_s``; ``ca_bundle`` is the PEM file a client must trust to reach it."""

    def __init__(self, records: Sequence[dict[str, Any]], delay_s: float):
        self._records = {r["Id"]: r for r in records}
        self.delay_s = delay_s
        #: Seconds between two bytes of each answer's body (0: all at once): a slow drip.
        self.drip_s = 0.0
        self.calls = 0
        self._lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="beinspired-fake-sf-")
        self.ca_bundle = ""
        self.instance_url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "FakeSalesforce":
        folder = Path(self._folder.name)
        cert, key, self.ca_bundle = _make_certificates(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        # The handshake on the connection's own thread (_QuietServer.finish_request), not in
        # the accepting one: there, each client's handshake waited for every earlier one's.
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
        self._server = server
        self.instance_url = f"https://localhost:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="fake-salesforce",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._folder.cleanup()

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a GET of ``path`` (with its query string)."""
        with self._lock:
            self.calls += 1
            calls = self.calls
        time.sleep(self.delay_s)
        parts = urlsplit(path)
        if not _QUERY_PATH.match(parts.path):
            body = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
            return 404, {}, json.dumps(body).encode()
        soql = parse_qs(parts.query).get("q", [""])[0]
        match = _RECORD_ID.search(soql)
        record = self._records.get(match.group(1)) if match else None
        rows = [record] if record else []
        body = {"totalSize": len(rows), "done": True, "records": rows}
        return 200, {"Sforce-Limit-Info": f"api-usage={calls}/15000"}, json.dumps(body).encode()


class _QuietServer(ThreadingHTTPServer):
    #: Salesforce takes as many connections as the load opens; socketserver's queue of 5 made
    #: clients beyond it wait for TCP retransmissions (a second, then three).
    request_queue_size = 1024

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except OSError:  # the client went away mid-handshake (ssl.SSLError is one)
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up mid-answer (a timeout under test) is not an error here."""


def _handler_for(fake: FakeSalesforce) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            status, headers, body = fake.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not fake.drip_s:
                self.wfile.write(body)
                return
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(fake.drip_s)
            except OSError:  # the client gave up waiting
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            """Quiet: the benchmark prints its own report."""

    return Handler


def _make_certificates(folder: Path) -> tuple[Path, Path, str]:
    """(server certificate, its key, the CA's PEM file) for ``localhost`` and 127.0.0.1, under a
    CA made for this run, so clients verify TLS as they would against Salesforce."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Be Inspired benchmark CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path, ca_path = folder / "server.pem", folder / "server.key", folder / "ca.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, str(ca_path)


def signed_request(org_id: str, record_id: str, canvas_secret: str, instance_url: str) -> str:
    """A Canvas signed request as Salesforce makes one for ``record_id``'s page."""
    payload = {
        "algorithm": "HMACSHA256",
        "issuedAt": 1,
        "userId": VIEWER_ID,
        "client": {"instanceUrl": instance_url, "oauthToken": f"{org_id}!benchmark-viewer-token",
                   "targetOrigin": instance_url},
        "context": {
            "user": {"userId": VIEWER_ID, "userName": "rep@bench.example", "fullName": "Bench Rep"},
            "organization": {"organizationId": org_id},
            "environment": {"displayLocation": "PageLayout", "record": {"Id": record_id}},
        },
    }
    text = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    digest = hmac.new(canvas_secret.encode(), text.encode("ascii"), hashlib.sha256).digest()
    return f"{base64.b64encode(digest).decode('ascii')}.{text}"
