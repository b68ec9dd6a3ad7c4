"""Where the service may connect when it talks to Salesforce, and which CA certificates it trusts
there: the one gate every outbound call passes (queries, ``nextRecordsUrl`` pages, logins, token
and userinfo calls, redirects). Design: docs/security/salesforce-contract.md.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509

from plugin.crm.salesforce.exceptions import SalesforceConfigError

#: Salesforce's own domains (and every host under them): My Domain, instance, login and
#: sandbox hosts (``*.my.salesforce.com``, ``*.sandbox.my.salesforce.com``, ``login`` /
#: ``test.salesforce.com``), Lightning and Visualforce (``*.force.com``), Government Cloud
#: Plus - Defense (``*.salesforce.mil``) and Salesforce on Alibaba Cloud in China
#: (``*.sfcrmproducts.cn``, ``*.sfcrmapps.cn``).
SALESFORCE_DOMAINS = ("salesforce.com", "force.com", "salesforce.mil", "sfcrmproducts.cn",
                      "sfcrmapps.cn")
MAX_CA_PEM_CHARS = 200_000
MAX_CA_CERTIFICATES = 100
_HOST_PATTERN = re.compile(r"^(\*\.)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


class HostNotAllowed(requests.exceptions.InvalidURL):
    """An outbound call to a host that is neither Salesforce's nor allowed by the operator. A
    ``requests`` error, so every caller that handles a failed call handles this one too."""


def parse_host_patterns(value: str | None) -> tuple[str, ...]:
    """``"localhost, *.sf-proxy.example"`` as patterns: exact hosts, ``*.domain`` for every host
    under a domain, or IP addresses; else :class:`SalesforceConfigError` naming the bad one."""
    patterns = []
    for raw in (value or "").split(","):
        pattern = raw.strip().lower().rstrip(".")
        if not pattern:
            continue
        if not (_HOST_PATTERN.match(pattern) or _is_ip(pattern.strip("[]"))):
            raise SalesforceConfigError(f"{raw.strip()[:80]!r} is not a host name, *.domain or IP")
        patterns.append(pattern.strip("[]"))
    return tuple(dict.fromkeys(patterns))


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows besides Salesforce's hosts (``BEINSPIRED_ALLOWED_CRM_HOSTS``),
    and the CA bundle file the operator chose for outbound calls (``BEINSPIRED_CRM_CA_BUNDLE``;
    an org's own uploaded certificates take its place for that org)."""

    extra_hosts: tuple[str, ...] = ()
    ca_file: str | None = None

    def allows(self, host: str | None) -> bool:
        host = (host or "").lower().rstrip(".").strip("[]")
        if not host:
            return False
        if not _is_ip(host) and any(host == d or host.endswith("." + d)
                                    for d in SALESFORCE_DOMAINS):
            return True
        for pattern in self.extra_hosts:
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
            if host == pattern:
                return True
        return False

    def check_url(self, url: str, what: str = "URL") -> None:
        """Raise :class:`HostNotAllowed` unless ``url`` is https to an allowed host."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "https" or not self.allows(parts.hostname):
            raise HostNotAllowed(
                f"{what} host {str(parts.hostname)[:80]!r} is not a Salesforce host; the operator "
                "may allow others with BEINSPIRED_ALLOWED_CRM_HOSTS")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class GuardedSession(requests.Session):
    """A ``requests.Session`` whose every request (and every redirect it follows) must go to a
    host ``outbound`` allows, and which passes its own ``verify`` with each request:
    ``REQUESTS_CA_BUNDLE`` would otherwise override a session-level CA bundle
    (psf/requests#3829, #4650). Mixed into the sessions of the REST client and of sign-in."""

    outbound: OutboundPolicy = OutboundPolicy()

    def request(self, method: str | bytes, url: str | bytes,  # type: ignore[override]
                *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.outbound.check_url(str(request.url))
        return super().send(request, **kwargs)


# -- CA certificates an org uploads ---------------------------------------------------------------
def validate_ca_pem(value: object) -> str:
    """``value`` if it is PEM text holding only X.509 certificates (1 to 100, at most 200,000
    characters), normalised; else :class:`SalesforceConfigError`. A path, a private key or
    anything else is refused without being opened or echoed."""
    if not isinstance(value, str) or not value.strip():
        raise SalesforceConfigError("CA bundle must be PEM text (-----BEGIN CERTIFICATE----- …)")
    if len(value) > MAX_CA_PEM_CHARS:
        raise SalesforceConfigError(f"CA bundle is longer than {MAX_CA_PEM_CHARS:,} characters")
    kinds = set(_PEM_BLOCK.findall(value))
    if not kinds:
        raise SalesforceConfigError(
            "CA bundle must be PEM certificates (-----BEGIN CERTIFICATE----- …), not a file path")
    if kinds != {"CERTIFICATE"}:
        raise SalesforceConfigError("CA bundle may hold only certificates (no keys or other PEM)")
    try:
        certificates = x509.load_pem_x509_certificates(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SalesforceConfigError("CA bundle holds a certificate that cannot be read") from None
    if len(certificates) > MAX_CA_CERTIFICATES:
        raise SalesforceConfigError(f"CA bundle holds more than {MAX_CA_CERTIFICATES} certificates")
    return value.strip() + "\n"


_files_lock = threading.Lock()
_files: dict[str, str] = {}
_folder: str | None = None


def ca_file_for(pem: str) -> str:
    """A file holding ``pem`` for ``requests``' ``verify`` (which takes a path): written once per
    process into a private temporary folder, named by the text's SHA-256."""
    global _folder
    digest = hashlib.sha256(pem.encode("ascii")).hexdigest()
    with _files_lock:
        path = _files.get(digest)
        if path is not None and os.path.exists(path):
            return path
        if _folder is None or not os.path.isdir(_folder):
            _folder = tempfile.mkdtemp(prefix="beinspired-ca-")
        path = os.path.join(_folder, f"{digest}.pem")
        with open(path, "w", encoding="ascii") as handle:
            handle.write(pem)
        _files[digest] = path
        return path


__all__ = [
    "GuardedSession", "HostNotAllowed", "OutboundPolicy", "SALESFORCE_DOMAINS", "ca_file_for",
    "parse_host_patterns", "validate_ca_pem",
]
