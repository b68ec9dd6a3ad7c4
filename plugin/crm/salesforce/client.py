"""One org's API access through simple-salesforce, and the one place its errors become ours."""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from xml.parsers.expat import ExpatError

import jwt
import requests
import urllib3
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from plugin.crm.salesforce.config import (
    AuthMode, ClientCredentials, JwtBearerCredentials, OrgConnection, PasswordCredentials,
    normalise_https_url,
)
from plugin.crm.salesforce.exceptions import (
    AccessRefused, AuthenticationFailed, CanvasSessionExpired, HostRefused, QueryRejected,
    RequestLimitExceeded, SalesforceApiError, SalesforceUnreachable, SessionExpired,
    UnexpectedResponse,
)
from plugin.crm.salesforce.outbound import GuardedSession, HostNotAllowed, ca_file_for

log = logging.getLogger(__name__)
_SOBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
#: ``/services/data/v59.0/query/01gD0000002HU6KIAW-2000``, as Salesforce pages a query.
_NEXT_RECORDS = re.compile(r"^/services/data/v[0-9]{2,3}\.0/query/[A-Za-z0-9]{15,18}-[0-9]{1,9}$")


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API requests, from the last ``Sforce-Limit-Info`` header we saw."""

    used: int
    limit: int

    @property
    def fraction(self) -> float:
        return self.used / self.limit if self.limit else 1.0


@dataclass(frozen=True)
class CanvasSession:
    """The viewing user's token and instance, taken from a verified Canvas signed request."""

    access_token: str = field(repr=False)
    instance_url: str
    user_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "instance_url", normalise_https_url(self.instance_url))


class TimeoutSession(GuardedSession):
    """A session that applies ``timeout`` to every request that does not name its own.

    As a :class:`~plugin.crm.salesforce.outbound.GuardedSession` it also passes its own
    ``verify`` per request (``REQUESTS_CA_BUNDLE`` would override a session-level CA bundle) and
    connects only to hosts the outbound policy allows.
    """

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes,  # type: ignore[override]
                *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        if kwargs.get("stream"):
            return super().request(method, url, *args, **kwargs)
        # requests' timeout bounds each read, not the answer: a server dripping a byte at a time
        # would hold the panel for ever. The whole answer must arrive within twice the timeout.
        deadline = time.monotonic() + ANSWER_TIMEOUT_FACTOR * self.timeout
        response = super().request(method, url, *args, **{**kwargs, "stream": True})
        _read_until(response, deadline)
        return response


#: How many org timeouts a whole answer (connection, headers and body) may take.
ANSWER_TIMEOUT_FACTOR = 2


def _read_until(response: requests.Response, deadline: float) -> None:
    """Read the body as it arrives (urllib3's public ``read1``), refusing to wait past
    ``deadline``; the body is then the response's content, as requests itself stores it."""
    chunks: list[bytes] = []
    try:
        while True:
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout("the answer did not arrive in time")
            chunk = response.raw.read1(65536, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        response.close()
        raise requests.exceptions.ReadTimeout(str(exc)) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        response.close()
        raise requests.exceptions.ConnectionError(str(exc)) from None
    except requests.exceptions.ReadTimeout:
        response.close()
        raise
    response._content = b"".join(chunks)  # noqa: SLF001 - where requests keeps a read body


def http_session(connection: OrgConnection) -> requests.Session:
    session = TimeoutSession(connection.timeout)
    configure(session, connection)
    return session


def configure(session: GuardedSession, connection: OrgConnection) -> None:
    """The org's outbound policy and CA trust on ``session``: the org's own certificates, else
    the operator's CA bundle, else the system's."""
    session.outbound = connection.outbound
    if connection.ca_bundle:
        session.verify = ca_file_for(connection.ca_bundle)
    elif connection.outbound.ca_file:
        session.verify = connection.outbound.ca_file


class SalesforceClient:
    """Queries for one org, as its integration user or (Canvas) as the viewing user.

    Logs in lazily on the first query. ``api_calls`` counts REST calls made (logins are
    counted apart in ``logins``: they are not REST API requests).
    """

    def __init__(self, connection: OrgConnection, *, canvas_session: CanvasSession | None = None,
                 http: requests.Session | None = None):
        self.connection = connection
        self.canvas_session = canvas_session
        self.http = http or http_session(connection)
        self.api_calls = 0
        self.logins = 0
        self.api_usage: ApiUsage | None = None
        self._sf: Salesforce | None = None

    @property
    def uses_canvas_token(self) -> bool:
        return self.connection.auth_mode is AuthMode.CANVAS

    def query(self, soql: str) -> dict[str, Any]:
        """The decoded JSON of one ``GET /query``, or a :class:`SalesforceApiError`."""
        return self._call("query", lambda sf: sf.query(soql, timeout=self.connection.timeout))

    def query_more(self, next_records_url: str) -> dict[str, Any]:
        """The next page of a query (``nextRecordsUrl`` of the previous one). The path comes from
        Salesforce's answer, so it must look like one of its query locators before it is joined
        to the instance host: ``@evil.example/`` would otherwise send our token elsewhere."""
        if not isinstance(next_records_url, str) or not _NEXT_RECORDS.fullmatch(next_records_url):
            raise UnexpectedResponse("the query answer's nextRecordsUrl is not a query locator")
        return self._call("query", lambda sf: sf.query_more(
            next_records_url, identifier_is_url=True, timeout=self.connection.timeout))

    def describe(self, sobject: str) -> dict[str, Any]:
        """``GET /sobjects/<sobject>/describe``: the object's fields as this user sees them.
        A missing or hidden object is a :class:`SalesforceApiError` with status 404."""
        if not _SOBJECT_NAME.match(sobject):
            raise ValueError(f"{sobject[:60]!r} is not an object API name")
        return self._call("describe", lambda sf: sf.restful(
            f"sobjects/{sobject}/describe", timeout=self.connection.timeout))

    def _call(self, what: str, request: Callable[[Salesforce], Any]) -> dict[str, Any]:
        """One API call: counted, its errors translated, the usage it reports noted, and its
        answer required to be a JSON object."""
        sf = self._salesforce()
        self.api_calls += 1
        try:
            result = request(sf)
        except Exception as exc:  # noqa: BLE001 - translate() re-raises what it does not know
            raise translate(exc) from exc
        finally:
            self._note_usage(sf)
        if not isinstance(result, dict):
            raise UnexpectedResponse(f"{what} answer is not a JSON object")
        return result

    def reauthenticate(self) -> None:
        """Log in again (once per call). Canvas tokens cannot be renewed from here."""
        if self.uses_canvas_token:
            raise CanvasSessionExpired("the Canvas session expired; refresh the signed request")
        self._sf = None
        self._sf = self._connect()

    def _salesforce(self) -> Salesforce:
        if self._sf is None:
            self._sf = self._connect()
        return self._sf

    def _connect(self) -> Salesforce:
        version = self.connection.api_version
        if self.uses_canvas_token:
            if self.canvas_session is None:
                raise CanvasSessionExpired("no Canvas session for this request")
            return Salesforce(session_id=self.canvas_session.access_token, version=version,
                              instance_url=self.canvas_session.instance_url, session=self.http)
        session_id, instance = self._login()
        return Salesforce(session_id=session_id, instance=instance, version=version,
                          session=self.http)

    def _login(self) -> tuple[str, str]:
        self.logins += 1
        try:
            session_id, instance = SalesforceLogin(**login_arguments(self.connection),
                                                   session=self.http)
        except (SalesforceError, requests.RequestException, jwt.PyJWTError) as exc:
            raise translate(exc) from exc
        except (ExpatError, AttributeError, TypeError, ValueError) as exc:
            # simple-salesforce parses the login answer without checking its shape.
            raise UnexpectedResponse("the login answer was not understood") from exc
        if not isinstance(session_id, str) or not session_id or not isinstance(instance, str):
            raise UnexpectedResponse("the login answer had no session")
        return session_id, instance

    def _note_usage(self, sf: Salesforce) -> None:
        usage = sf.api_usage.get("api-usage")
        if usage is not None:
            self.api_usage = ApiUsage(used=usage.used, limit=usage.total)


def login_arguments(connection: OrgConnection) -> dict[str, Any]:
    """Keyword arguments for :func:`SalesforceLogin` that select the connection's auth mode."""
    credentials = connection.credentials
    domain = connection.effective_login_domain
    if isinstance(credentials, JwtBearerCredentials):
        # The assertion's audience is the generic login host; the token endpoint is My Domain.
        audience = credentials.audience or ("test" if connection.is_sandbox else "login")
        return {
            "username": credentials.username, "consumer_key": credentials.consumer_key,
            "privatekey": credentials.private_key, "privatekey_file": credentials.private_key_file,
            "domain": audience, "instance_url": domain,
        }
    if isinstance(credentials, ClientCredentials):
        return {"consumer_key": credentials.consumer_key,
                "consumer_secret": credentials.consumer_secret, "domain": domain}
    if isinstance(credentials, PasswordCredentials):
        return {"username": credentials.username, "password": credentials.password,
                "security_token": credentials.security_token, "domain": domain,
                "sf_version": connection.api_version}
    raise AuthenticationFailed("this org has no stored credentials (Canvas mode)")


def translate(exc: BaseException) -> SalesforceApiError:
    """Our exception for one raised by simple-salesforce, requests or PyJWT.

    Anything else is a bug on our side and is re-raised unchanged.
    """
    if isinstance(exc, SalesforceApiError):
        return exc
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthenticationFailed("Salesforce refused the login", error_code=str(exc.code),
                                    detail=exc.auth_message[:300])
    if isinstance(exc, jwt.PyJWTError):
        return AuthenticationFailed("the JWT assertion could not be signed (check the key)")
    if isinstance(exc, HostNotAllowed):
        return HostRefused(str(exc))
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return UnexpectedResponse("Salesforce's answer was not JSON")
    if isinstance(exc, requests.Timeout):
        return SalesforceUnreachable("Salesforce did not answer in time")
    if isinstance(exc, requests.RequestException):
        return SalesforceUnreachable(f"could not reach Salesforce ({type(exc).__name__})")
    if isinstance(exc, SalesforceError):
        return _from_status(exc)
    raise exc


def _from_status(exc: SalesforceError) -> SalesforceApiError:
    status = exc.status
    code, message = _first_error(exc.content)
    kwargs = {"status": status, "error_code": code, "detail": message[:500]}
    if status == 401:
        return SessionExpired("the Salesforce session is not valid", **kwargs)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return RequestLimitExceeded("the org's API request limit is used up", **kwargs)
    if status == 403:
        return AccessRefused("Salesforce refused the request", **kwargs)
    if status == 400:
        return QueryRejected("Salesforce rejected the query", **kwargs)
    if status >= 500:
        return SalesforceUnreachable(f"Salesforce answered {status}", **kwargs)
    return UnexpectedResponse(f"Salesforce answered {status}", **kwargs)


def _first_error(content: Any) -> tuple[str | None, str]:
    """Salesforce's REST errors are ``[{"errorCode": ..., "message": ...}]``."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        code, message = first.get("errorCode"), first.get("message")
        return (code if isinstance(code, str) else None,
                message if isinstance(message, str) else "")
    return None, ""


__all__ = [
    "ApiUsage", "CanvasSession", "SalesforceClient", "TimeoutSession", "configure", "http_session",
    "login_arguments", "translate",
]
