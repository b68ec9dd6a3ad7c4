"""Sign in with Salesforce: the OAuth 2.0 web-server flow with PKCE, through Authlib."""
from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import jwt
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from simple_salesforce import format_soql

from plugin.crm.salesforce.client import CanvasSession, SalesforceClient, configure
from plugin.crm.salesforce.config import AuthMode, ClientCredentials, OrgConnection
from plugin.crm.salesforce.exceptions import SalesforceApiError
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.outbound import GuardedSession

log = logging.getLogger(__name__)

SCOPE = "openid api"
AUTHORIZE_PATH = "/services/oauth2/authorize"
TOKEN_PATH = "/services/oauth2/token"
USERINFO_PATH = "/services/oauth2/userinfo"
#: How long the browser may spend on Salesforce's login page before the sign-in is void.
PENDING_SECONDS = 600


class SignInError(Exception):
    """Base class; ``reason`` is ours, short and safe to show and log."""

    http_status = 400

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class SignInNotConfigured(SignInError):
    http_status = 404


class SignInRefused(SignInError):
    """Salesforce answered the authorize request with an error (the person denied access, the
    connected app is not approved for them, ...)."""

    http_status = 401


class SignInStateMismatch(SignInError):
    """The callback is not the answer to the sign-in this browser started (forged, replayed,
    expired, or started in another tab since)."""


class WrongOrg(SignInError):
    http_status = 403


class SignInFailed(SignInError):
    """Salesforce's token or userinfo endpoint did not answer as documented."""

    http_status = 502


@dataclass(frozen=True)
class SignInApp:
    """The connected app the person signs in through."""

    consumer_key: str
    consumer_secret: str | None = field(default=None, repr=False)


def sign_in_app(connection: OrgConnection, consumer_key: str | None) -> SignInApp:
    """The app for an org: the org's own ``consumer_key`` setting (the Be Inspired connected app,
    whose consumer secret is the Canvas secret), else the key of its server-to-server
    credentials (with their secret for client credentials; PKCE alone for JWT bearer)."""
    if consumer_key:
        return SignInApp(consumer_key, connection.canvas_secret)
    credentials = connection.credentials
    key = getattr(credentials, "consumer_key", None)
    if not key:
        raise SignInNotConfigured(
            "Sign-in with Salesforce is not set up for this org (no consumer key).")
    secret = credentials.consumer_secret if isinstance(credentials, ClientCredentials) else None
    return SignInApp(key, secret)


@dataclass(frozen=True)
class PendingSignIn:
    org_id: str
    state: str
    code_verifier: str = field(repr=False)
    nonce: str
    redirect_uri: str
    next_path: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: object) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


@dataclass(frozen=True)
class SalesforceIdentity:
    """Who signed in, as Salesforce's userinfo says."""

    org_id: str
    user_id: str
    name: str
    email: str | None
    access_token: str = field(repr=False)


class _SignInSession(OAuth2Session, GuardedSession):
    """Authlib's session, connecting only where the outbound policy allows and with the org's
    CA trust passed per request (so ``REQUESTS_CA_BUNDLE`` cannot override it)."""


def _oauth(connection: OrgConnection, app: SignInApp, redirect_uri: str) -> OAuth2Session:
    session = _SignInSession(
        client_id=app.consumer_key, client_secret=app.consumer_secret, scope=SCOPE,
        redirect_uri=redirect_uri, code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post" if app.consumer_secret else "none",
        default_timeout=connection.timeout,
    )  # fmt: skip
    configure(session, connection)
    return session


def begin(connection: OrgConnection, app: SignInApp, redirect_uri: str, next_path: str, *,
          clock=time.time) -> tuple[str, PendingSignIn]:
    """The URL to send the browser to, and what to keep until it comes back."""
    pending = PendingSignIn(
        org_id=connection.org_id, state=generate_token(43), code_verifier=generate_token(64),
        nonce=generate_token(32), redirect_uri=redirect_uri, next_path=next_path,
        started_at=clock(),
    )  # fmt: skip
    with _oauth(connection, app, redirect_uri) as oauth:
        url, _ = oauth.create_authorization_url(
            connection.instance_url + AUTHORIZE_PATH, state=pending.state,
            code_verifier=pending.code_verifier, nonce=pending.nonce,
        )  # fmt: skip
    return url, pending


def finish(connection: OrgConnection, app: SignInApp, pending: PendingSignIn | None,
           callback: Mapping[str, str], *, clock=time.time) -> SalesforceIdentity:
    """The signed-in person, or a :class:`SignInError`. ``callback`` is the callback's query."""
    state = callback.get("state") or ""
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise SignInStateMismatch(
            "This sign-in was not started here, or was started again since. Sign in again.")
    if clock() - pending.started_at > PENDING_SECONDS:
        raise SignInStateMismatch("The sign-in took too long. Sign in again.")
    if callback.get("error"):
        log.info("Salesforce refused a sign-in for %s: %s", pending.org_id,
                 callback.get("error")[:60])
        raise SignInRefused(
            "Salesforce did not sign you in (access was denied or not allowed for you).")
    code = callback.get("code")
    if not code:
        raise SignInStateMismatch("Salesforce sent no authorization code. Sign in again.")
    with _oauth(connection, app, pending.redirect_uri) as oauth:
        token = _exchange(oauth, connection, code, pending)
        _check_id_token(token, app, pending)
        info = _userinfo(oauth, connection)
    identity = _identity(info, token["access_token"])
    if identity.org_id != pending.org_id:
        log.warning("sign-in for org %s came back from org %s", pending.org_id, identity.org_id)
        raise WrongOrg("You signed in to another Salesforce org than the one you chose.")
    return identity


def _exchange(oauth: OAuth2Session, connection: OrgConnection, code: str,
              pending: PendingSignIn) -> dict:
    try:
        token = oauth.fetch_token(
            connection.instance_url + TOKEN_PATH, grant_type="authorization_code", code=code,
            code_verifier=pending.code_verifier,
        )  # fmt: skip
    except OAuthError as exc:
        log.warning("token exchange refused for %s: %s", pending.org_id, str(exc.error)[:60])
        raise SignInRefused("Salesforce refused to complete the sign-in. Sign in again.") from None
    except (requests.RequestException, ValueError) as exc:
        log.warning("token exchange failed for %s: %s", pending.org_id, exc.__class__.__name__)
        raise SignInFailed("Salesforce could not be reached to complete the sign-in.") from None
    if not isinstance(token.get("access_token"), str) or not token["access_token"]:
        raise SignInFailed("Salesforce's token answer had no access token.")
    return token


def _check_id_token(token: Mapping[str, Any], app: SignInApp, pending: PendingSignIn) -> None:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed(
            "Salesforce sent no ID token: the connected app must allow the openid scope.")
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise SignInFailed("Salesforce's ID token is unreadable.") from None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    nonce = claims.get("nonce")
    if app.consumer_key not in audiences or not isinstance(nonce, str) \
            or not hmac.compare_digest(nonce.encode(), pending.nonce.encode()):
        raise SignInStateMismatch(
            "The sign-in answer does not belong to this sign-in. Sign in again.")


def _userinfo(oauth: OAuth2Session, connection: OrgConnection) -> dict:
    try:
        response = oauth.get(connection.instance_url + USERINFO_PATH,
                             headers={"Accept": "application/json"})
        response.raise_for_status()
        info = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("userinfo failed for %s: %s", connection.org_id, exc.__class__.__name__)
        raise SignInFailed("Salesforce did not say who signed in.") from None
    if not isinstance(info, dict):
        raise SignInFailed("Salesforce did not say who signed in.")
    return info


def _identity(info: Mapping[str, Any], access_token: str) -> SalesforceIdentity:
    try:
        org_id = to_18(info.get("organization_id"), prefix="00D")
        user_id = to_18(info.get("user_id"), prefix="005")
    except InvalidSalesforceId:
        raise SignInFailed("Salesforce's userinfo has no valid user or org Id.") from None
    name = info.get("name") if isinstance(info.get("name"), str) and info["name"].strip() else None
    username = info.get("preferred_username")
    fallback = username if isinstance(username, str) else user_id
    email = info.get("email") if isinstance(info.get("email"), str) else None
    return SalesforceIdentity(org_id, user_id, (name or fallback)[:200], email, access_token)


@dataclass(frozen=True)
class RoleFacts:
    profile_id: str | None
    permission_set_ids: tuple[str, ...]


def role_facts(connection: OrgConnection, identity: SalesforceIdentity) -> RoleFacts:
    """The person's profile (read with their own token) and permission-set assignments (read
    with the org's server-to-server connection; a Canvas-only org has none, so permission-set
    mappings cannot apply at sign-in there). A failed look-up leaves that fact out: the role then
    falls to a less specific mapping or the default, never to more power."""
    return RoleFacts(_profile_id(connection, identity), _permission_set_ids(connection, identity))


def _profile_id(connection: OrgConnection, identity: SalesforceIdentity) -> str | None:
    own = replace(connection, credentials=None)  # query as the person, with their token
    client = SalesforceClient(own, canvas_session=CanvasSession(
        identity.access_token, connection.instance_url, identity.user_id))
    try:
        soql = format_soql("SELECT ProfileId FROM User WHERE Id = {}", identity.user_id)
        records = client.query(soql)
        return to_18(records["records"][0]["ProfileId"], prefix="00e")
    except (SalesforceApiError, KeyError, IndexError, TypeError, InvalidSalesforceId) as exc:
        log.warning("could not read the profile of a signed-in user of %s: %s",
                    connection.org_id, exc.__class__.__name__)
        return None


def _permission_set_ids(connection: OrgConnection, identity: SalesforceIdentity) -> tuple[str, ...]:
    if connection.auth_mode is AuthMode.CANVAS:
        return ()
    soql = format_soql("SELECT PermissionSetId FROM PermissionSetAssignment "
             "WHERE AssigneeId = {} AND PermissionSet.IsOwnedByProfile = false", identity.user_id)
    try:
        records = SalesforceClient(connection).query(soql)["records"]
        return tuple(to_18(r["PermissionSetId"], prefix="0PS") for r in records)
    except (SalesforceApiError, KeyError, TypeError, InvalidSalesforceId) as exc:
        log.warning("could not read permission sets of a signed-in user of %s: %s",
                    connection.org_id, exc.__class__.__name__)
        return ()


__all__ = [
    "PendingSignIn", "RoleFacts", "SalesforceIdentity", "SignInApp", "SignInError", "SignInFailed",
    "SignInNotConfigured", "SignInRefused", "SignInStateMismatch", "WrongOrg", "begin", "finish",
    "role_facts", "sign_in_app",
]  # fmt: skip
