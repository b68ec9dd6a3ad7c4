"""How to reach one Salesforce org: a typed, validated, immutable description.

Secrets are kept out of ``repr`` so a logged connection never shows them.
"""
from __future__ import annotations

import enum
import ipaddress
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.outbound import OutboundPolicy, validate_ca_pem
from plugin.crm.salesforce.soql import validate_field_path

DEFAULT_API_VERSION = "59.0"
DEFAULT_TIMEOUT = 3.0
_API_VERSION = re.compile(r"^[1-9][0-9]{1,2}\.0$")
_LOGIN_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63})*$")
_SALESFORCE_SUFFIX = ".salesforce.com"
#: More extra fields would make every panel's query longer for little more text.
MAX_EXTRA_FIELDS = 10


class AuthMode(enum.Enum):
    JWT_BEARER = "jwt_bearer"
    CLIENT_CREDENTIALS = "client_credentials"
    PASSWORD = "password"
    #: The viewing user's own token from the Canvas signed request; nothing is stored.
    CANVAS = "canvas"


@dataclass(frozen=True)
class JwtBearerCredentials:
    """OAuth 2.0 JWT bearer flow: the connected app's certificate signs an assertion for
    ``username``.

    ``audience`` is the login host the assertion names (``login`` or ``test``); by default
    ``test`` for sandbox instance URLs and ``login`` otherwise.
    """

    username: str
    consumer_key: str
    private_key: str | None = field(default=None, repr=False)
    private_key_file: str | None = None
    audience: str | None = None

    def __post_init__(self) -> None:
        _require_text(self, "username", "consumer_key")
        if (self.private_key is None) == (self.private_key_file is None):
            raise SalesforceConfigError("JWT bearer needs one of private_key, private_key_file")
        if self.private_key_file is not None and not Path(self.private_key_file).is_file():
            raise SalesforceConfigError(f"key file {self.private_key_file!r} does not exist")
        if self.audience is not None and self.audience not in ("login", "test"):
            raise SalesforceConfigError("JWT audience must be 'login' or 'test'")


@dataclass(frozen=True)
class ClientCredentials:
    """OAuth 2.0 client credentials flow; the connected app's run-as user does the reading."""

    consumer_key: str
    consumer_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        _require_text(self, "consumer_key", "consumer_secret")


@dataclass(frozen=True)
class PasswordCredentials:
    """SOAP login with username, password and the user's security token."""

    username: str
    password: str = field(repr=False)
    security_token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        _require_text(self, "username", "password")
        if not isinstance(self.security_token, str):
            raise SalesforceConfigError("security_token must be text (empty if IP-allowlisted)")


Credentials = JwtBearerCredentials | ClientCredentials | PasswordCredentials

_MODES = {
    JwtBearerCredentials: AuthMode.JWT_BEARER,
    ClientCredentials: AuthMode.CLIENT_CREDENTIALS,
    PasswordCredentials: AuthMode.PASSWORD,
}


@dataclass(frozen=True)
class OrgConnection:
    """One org. ``credentials=None`` means Canvas mode: every call uses the viewing user's token.

    ``instance_url`` is the org's My Domain URL (any HTTPS host and port). simple-salesforce logs
    in at ``https://<login_domain>.salesforce.com``; ``login_domain`` is taken from the instance
    URL when that is a ``*.salesforce.com`` host on port 443, or must be given.

    ``ca_bundle`` is PEM text of the CA certificates to trust for this org (uploaded by its
    admin, behind a TLS-inspecting proxy), never a path.

    ``challenge_field``, ``industry_field`` (overrides ``Account.Industry``) and ``extra_fields``
    (read as text for the recommender) are ``Field__c`` on the Opportunity or
    ``Account.Field__c``.
    """

    org_id: str
    instance_url: str
    credentials: Credentials | None = None
    api_version: str = DEFAULT_API_VERSION
    timeout: float = DEFAULT_TIMEOUT
    ca_bundle: str | None = None
    challenge_field: str | None = None
    canvas_secret: str | None = field(default=None, repr=False)
    login_domain: str | None = None
    industry_field: str | None = None
    extra_fields: tuple[str, ...] = ()
    #: Where this service may connect and the operator's CA bundle (server settings, not the
    #: org's; attached when the org is loaded, never stored with it).
    outbound: OutboundPolicy = field(default=OutboundPolicy(), compare=False, repr=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "org_id", to_18(self.org_id, prefix="00D"))
        except InvalidSalesforceId as exc:
            raise SalesforceConfigError(f"org_id {exc.reason}") from None
        object.__setattr__(self, "instance_url", normalise_https_url(self.instance_url))
        if self.credentials is not None and type(self.credentials) not in _MODES:
            raise SalesforceConfigError("credentials must be JWT, client credentials or password")
        if not isinstance(self.api_version, str) or not _API_VERSION.match(self.api_version):
            raise SalesforceConfigError("api_version looks like '59.0' (no leading 'v')")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) \
                or not math.isfinite(self.timeout) or not 0 < self.timeout <= 120:
            raise SalesforceConfigError("timeout must be a number of seconds in (0, 120]")
        if self.ca_bundle is not None:
            object.__setattr__(self, "ca_bundle", validate_ca_pem(self.ca_bundle))
        self._check_fields()
        if self.canvas_secret is not None and (not isinstance(self.canvas_secret, str)
                                               or not self.canvas_secret):
            raise SalesforceConfigError("canvas_secret must be non-empty text")
        self._check_login_domain()

    def _check_fields(self) -> None:
        if self.challenge_field is not None:
            object.__setattr__(self, "challenge_field", validate_field_path(self.challenge_field))
        if self.industry_field is not None:
            object.__setattr__(self, "industry_field", validate_field_path(self.industry_field))
        if isinstance(self.extra_fields, str) or not isinstance(self.extra_fields, (tuple, list)):
            raise SalesforceConfigError("extra_fields must be a list of field API names")
        extra: dict[str, str] = {}  # API names compare without regard to case
        for path in (validate_field_path(f) for f in self.extra_fields):
            extra.setdefault(path.casefold(), path)
        if len(extra) > MAX_EXTRA_FIELDS:
            raise SalesforceConfigError(f"at most {MAX_EXTRA_FIELDS} extra fields")
        object.__setattr__(self, "extra_fields", tuple(extra.values()))

    def _check_login_domain(self) -> None:
        if self.login_domain is not None and (
            not isinstance(self.login_domain, str) or not _LOGIN_DOMAIN.match(self.login_domain)
        ):
            raise SalesforceConfigError("login_domain looks like 'login', 'test' or 'acme.my'")
        if self.auth_mode is AuthMode.CANVAS:
            return
        domain = self.effective_login_domain
        if domain is None:
            raise SalesforceConfigError(
                "set login_domain: the instance URL is not a *.salesforce.com host on port 443"
            )
        if self.auth_mode is AuthMode.CLIENT_CREDENTIALS and domain in ("login", "test"):
            raise SalesforceConfigError("client credentials need the org's My Domain URL")

    @property
    def auth_mode(self) -> AuthMode:
        return AuthMode.CANVAS if self.credentials is None else _MODES[type(self.credentials)]

    @property
    def instance_host(self) -> str:
        return urlsplit(self.instance_url).hostname or ""

    @property
    def effective_login_domain(self) -> str | None:
        """What simple-salesforce calls ``domain``: ``acme.my`` for ``acme.my.salesforce.com``."""
        if self.login_domain is not None:
            return self.login_domain
        parts = urlsplit(self.instance_url)
        host = parts.hostname or ""
        if parts.port in (None, 443) and host.endswith(_SALESFORCE_SUFFIX):
            domain = host[: -len(_SALESFORCE_SUFFIX)]
            return domain if _LOGIN_DOMAIN.match(domain) else None
        return None

    @property
    def is_sandbox(self) -> bool:
        return ".sandbox." in self.instance_host or self.effective_login_domain == "test"


def normalise_https_url(value: object) -> str:
    """``https://host[:port]`` with a lower-case host, or :class:`SalesforceConfigError`.

    Anything but a bare origin (a path other than ``/``, a query, credentials) is refused: the
    URL is only ever used as the base of Salesforce's own paths.
    """
    if not isinstance(value, str):
        raise SalesforceConfigError("instance URL must be text")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise SalesforceConfigError("instance URL is not a valid URL (host or port)") from None
    if parts.scheme.lower() != "https":
        raise SalesforceConfigError("instance URL must use https")
    host = (parts.hostname or "").lower()
    if ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            host = ""
    elif not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", host):
        host = ""
    if not host or port == 0 or parts.username is not None or parts.password is not None \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SalesforceConfigError("instance URL must be https://host[:port] and nothing else")
    return f"https://{host}" if port in (None, 443) else f"https://{host}:{port}"


def _require_text(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, str) or not value.strip():
            raise SalesforceConfigError(f"{name} must be non-empty text")


__all__ = [
    "AuthMode", "ClientCredentials", "Credentials", "JwtBearerCredentials", "OrgConnection",
    "PasswordCredentials", "normalise_https_url",
]
