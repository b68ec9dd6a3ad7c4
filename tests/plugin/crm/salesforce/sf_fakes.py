"""A fake Salesforce for the connector tests: its Ids, URLs, canned payloads, signed requests.

Imported by name (``from sf_fakes import ...``) rather than from ``conftest``: several test
folders have a conftest.py, and which one ``import conftest`` finds depends on collection order.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"

ORG_ID = "00D5e000001AcmEEAS"
OPPORTUNITY_ID = "0065e00000AbCdEAAV"
VIEWER_ID = "0055e000001ReP1AAK"
INSTANCE = "https://acme.my.salesforce.com"
QUERY_URL = f"{INSTANCE}/services/data/v59.0/query/"
TOKEN_URL = f"{INSTANCE}/services/oauth2/token"
CANVAS_SECRET = "canvas-consumer-secret-for-acme"
LIMIT_INFO = {"Sforce-Limit-Info": "api-usage=18/15000"}


def load_json(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def load_text(name: str) -> str:
    return (PAYLOADS / name).read_text(encoding="utf-8")


def sign_canvas(payload: dict[str, Any] | str | bytes, secret: str = CANVAS_SECRET, *,
                urlsafe: bool = False, padding: bool = True) -> str:
    """A signed request as Salesforce makes one: Base64(HMAC(payload text)) "." payload text."""
    raw = payload if isinstance(payload, bytes) else (
        payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    payload_text = encode(raw).decode("ascii")
    if not padding:
        payload_text = payload_text.rstrip("=")
    digest = hmac.new(secret.encode(), payload_text.encode(), hashlib.sha256).digest()
    signature = encode(digest).decode()
    if not padding:
        signature = signature.rstrip("=")
    return f"{signature}.{payload_text}"


class FakeClock:
    def __init__(self, now: float = 1_750_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_CA_PEM: list[str] = []


def ca_pem() -> str:
    """A real self-signed CA certificate in PEM (made once per test run), as an org behind a
    TLS-inspecting proxy would upload its proxy's CA."""
    if not _CA_PEM:
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme TLS inspection CA")])
        now = dt.datetime.now(dt.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .sign(key, hashes.SHA256()))
        _CA_PEM.append(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    return _CA_PEM[0]
