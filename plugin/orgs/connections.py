"""Configured Salesforce orgs: their connection settings, with secrets encrypted at rest."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.orm import Session, sessionmaker

from content_catalog.org_settings import OrgSettingsRepository, StoredSettings
from plugin.orgs.mapping import OrgMapping
from plugin.crm.salesforce.config import (
    ClientCredentials,
    JwtBearerCredentials,
    OrgConnection,
    PasswordCredentials,
    normalise_https_url,
)
from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.outbound import OutboundPolicy

#: The stored "authentication" of the demo org: none, its records are bundled.
DEMO_AUTH_MODE = "demo"
SECRET_FIELDS = {"private_key", "consumer_secret", "password", "security_token", "canvas_secret"}
_CREDENTIAL_TYPES = {"jwt_bearer": JwtBearerCredentials, "client_credentials": ClientCredentials, "password": PasswordCredentials}


class EncryptionKeyMissing(RuntimeError):
    """Secrets cannot be stored or read without ``BEINSPIRED_ENCRYPTION_KEYS``."""


class SecretsUnreadable(RuntimeError):
    """Stored secrets do not decrypt under any configured key."""


class SecretBox:
    def __init__(self, keys: list[str]):
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys]) if keys else None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise EncryptionKeyMissing("set BEINSPIRED_ENCRYPTION_KEYS (make one with 'beinspired org new-key')")
        return self._fernet

    def seal(self, secrets: dict[str, str]) -> str:
        return self._require().encrypt(json.dumps(secrets, sort_keys=True).encode()).decode() if secrets else ""

    def open(self, token: str) -> dict[str, str]:
        if not token:
            return {}
        try:
            return json.loads(self._require().decrypt(token.encode()))
        except InvalidToken:
            raise SecretsUnreadable("stored secrets do not decrypt with the configured keys") from None

    def rotate(self, token: str) -> str:
        return self._require().rotate(token.encode()).decode() if token else ""


@dataclass(frozen=True)
class ConfiguredOrg:
    name: str
    connection: OrgConnection
    #: Origins allowed to frame the panel besides those derived from the instance URL.
    extra_frame_ancestors: tuple[str, ...] = ()
    #: The connected app's consumer key for "Sign in with Salesforce" (the web-server flow); the
    #: Canvas secret is that app's consumer secret. Unset: the credentials' key, if any.
    consumer_key: str | None = None
    #: The org's stage → phase entries and deal-size thresholds.
    mapping: OrgMapping = OrgMapping()
    #: The bundled demo org: its data source is the bundled records, not Salesforce, so no
    #: connector is built for it (:mod:`plugin.orgs.demo_connection`).
    is_demo: bool = False


def split_connection(org: ConfiguredOrg) -> tuple[dict[str, Any], dict[str, str]]:
    """(plain settings, secrets) of an org, ready to store."""
    connection = org.connection
    settings: dict[str, Any] = {
        "instance_url": connection.instance_url,
        "api_version": connection.api_version,
        "timeout": connection.timeout,
        "ca_bundle": connection.ca_bundle,
        "challenge_field": connection.challenge_field,
        "industry_field": connection.industry_field,
        "extra_fields": list(connection.extra_fields),
        "login_domain": connection.login_domain,
        "extra_frame_ancestors": list(org.extra_frame_ancestors),
        "auth_mode": DEMO_AUTH_MODE if org.is_demo else connection.auth_mode.value,
        "credentials": {},
        **org.mapping.to_settings(),
    }
    secrets: dict[str, str] = {}
    if connection.canvas_secret:
        secrets["canvas_secret"] = connection.canvas_secret
    if connection.credentials is not None:
        for f in fields(connection.credentials):
            value = getattr(connection.credentials, f.name)
            if value is None:
                continue
            (secrets if f.name in SECRET_FIELDS else settings["credentials"])[f.name] = value
    if org.consumer_key:  # sign-in with Salesforce; a consumer key is not a secret
        settings["consumer_key"] = org.consumer_key
    return settings, secrets


def join_connection(org_id: str, name: str, settings: dict[str, Any], secrets: dict[str, str],
                    outbound: OutboundPolicy = OutboundPolicy()) -> ConfiguredOrg:
    credentials = None
    credential_type = _CREDENTIAL_TYPES.get(settings.get("auth_mode", ""))
    if credential_type is not None:
        wanted = {f.name for f in fields(credential_type)}
        values = {**settings.get("credentials", {}), **{k: v for k, v in secrets.items() if k in wanted}}
        credentials = credential_type(**values)
    connection = OrgConnection(
        org_id=org_id,
        instance_url=settings["instance_url"],
        credentials=credentials,
        api_version=settings.get("api_version", "59.0"),
        timeout=settings.get("timeout", 3.0),
        ca_bundle=settings.get("ca_bundle"),
        challenge_field=settings.get("challenge_field"),
        canvas_secret=secrets.get("canvas_secret"),
        login_domain=settings.get("login_domain"),
        industry_field=settings.get("industry_field"),
        extra_fields=tuple(settings.get("extra_fields", ())),
        outbound=outbound,
    )
    extra = tuple(normalise_origin(o) for o in settings.get("extra_frame_ancestors", []))
    return ConfiguredOrg(name, connection, extra, consumer_key=settings.get("consumer_key"),
                         mapping=OrgMapping.from_settings(settings),
                         is_demo=settings.get("auth_mode") == DEMO_AUTH_MODE)


def normalise_origin(value: str) -> str:
    """An origin allowed to frame the panel: ``https://host[:port]``; plain http only on loopback
    (a developer's own Salesforce stand-in)."""
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme == "http" and parts.hostname in _LOOPBACK:
            secure = normalise_https_url(urlunsplit(("https", parts.netloc, parts.path, parts.query, parts.fragment)))
            return "http" + secure[len("https"):]
    return normalise_https_url(value)


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


#: Org-settings writes made by this process (any ``OrgConnections``), so that this process's
#: ``LiveOrgs`` sees its own writes at once while it rechecks others' only every few moments.
_local_writes = 0
_local_writes_lock = threading.Lock()


def local_writes() -> int:
    return _local_writes


def _wrote() -> None:
    global _local_writes
    with _local_writes_lock:
        _local_writes += 1


class OrgConnections:
    """Reads and writes configured orgs; decrypts only when asked for one org."""

    def __init__(self, sessions: sessionmaker[Session], box: SecretBox,
                 outbound: OutboundPolicy = OutboundPolicy()):
        self.sessions = sessions
        self._box = box
        #: The operator's outbound policy, attached to every org loaded (never stored).
        self.outbound = outbound

    def save(self, org: ConfiguredOrg) -> None:
        settings, secrets = split_connection(org)
        with self.sessions.begin() as session:
            OrgSettingsRepository(session).put(
                org.connection.org_id, org.name, json.dumps(settings, sort_keys=True), self._box.seal(secrets)
            )
        _wrote()

    def get(self, org_id: str) -> ConfiguredOrg | None:
        with self.sessions() as session:
            stored = OrgSettingsRepository(session).get(org_id)
        return None if stored is None else self._load(stored)

    def names(self) -> list[tuple[str, str, str]]:
        """(org Id, name, auth mode) of every org, without decrypting anything."""
        with self.sessions() as session:
            stored = OrgSettingsRepository(session).all()
        return [(s.org_id, s.name, json.loads(s.settings).get("auth_mode", "?")) for s in stored]

    def remove(self, org_id: str) -> bool:
        with self.sessions.begin() as session:
            removed = OrgSettingsRepository(session).delete(org_id)
        _wrote()
        return removed

    def rotate(self) -> int:
        """Re-encrypt every org's secrets under the newest key, in one transaction."""
        with self.sessions.begin() as session:
            repository = OrgSettingsRepository(session)
            stored = repository.all()
            for s in stored:
                repository.put(s.org_id, s.name, s.settings, self._box.rotate(s.secrets))
        _wrote()
        return len(stored)

    def _load(self, stored: StoredSettings) -> ConfiguredOrg:
        return join_connection(stored.org_id, stored.name, json.loads(stored.settings),
                               self._box.open(stored.secrets), self.outbound)


__all__ = [
    "DEMO_AUTH_MODE", "ConfiguredOrg", "EncryptionKeyMissing", "OrgConnections", "SalesforceConfigError", "SecretBox",
    "SecretsUnreadable",
]  # fmt: skip
