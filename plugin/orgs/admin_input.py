"""What an admin sends about an org (form, JSON body, CLI options), parsed; and how it is shown."""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Mapping

from cryptography.hazmat.primitives.serialization import load_pem_private_key

from content_catalog.modules import FieldError
from plugin.orgs.connections import DEMO_AUTH_MODE, ConfiguredOrg, normalise_origin, split_connection
from plugin.orgs.mapping import MappingInvalid, OrgMapping, parse_bands, parse_stage_phases
from plugin.crm.salesforce.config import (
    DEFAULT_API_VERSION,
    DEFAULT_TIMEOUT,
    MAX_EXTRA_FIELDS,
    AuthMode,
    ClientCredentials,
    JwtBearerCredentials,
    OrgConnection,
    PasswordCredentials,
    normalise_https_url,
)
from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.framing import frame_ancestor_origins
from plugin.crm.salesforce.outbound import HostNotAllowed, OutboundPolicy
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.soql import validate_field_path

AUTH_LABELS = {
    AuthMode.JWT_BEARER.value: "JWT bearer (connected app certificate)",
    AuthMode.CLIENT_CREDENTIALS.value: "Client credentials (connected app run-as user)",
    AuthMode.PASSWORD.value: "Username and password (developer orgs)",
    AuthMode.CANVAS.value: "Canvas only (each rep's own session)",
}
SECRET_LABELS = {
    "consumer_secret": "Consumer secret",
    "private_key": "Private key",
    "password": "Password",
    "security_token": "Security token",
    "canvas_secret": "Canvas consumer secret",
}
#: The plain connection fields an admin may send, besides the secrets.
CONNECTION_FIELDS = (
    "org_id", "name", "auth_mode", "instance_url", "login_domain", "api_version", "timeout",
    "ca_bundle", "username", "consumer_key",
)  # fmt: skip
#: What each auth mode cannot do without (a private key may also be a key file).
REQUIRED = {
    AuthMode.JWT_BEARER: ("username", "consumer_key", "private_key"),
    AuthMode.CLIENT_CREDENTIALS: ("consumer_key", "consumer_secret"),
    AuthMode.PASSWORD: ("username", "password"),
    # Other modes may leave it out: such an org can be tested and previewed, but its panel
    # cannot verify Salesforce's signed requests until the Canvas secret is added.
    AuthMode.CANVAS: ("canvas_secret",),
}
MAX_NAME = 200
MAX_FRAME_ANCESTORS = 20


class OrgInputInvalid(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field} {e.message}" for e in errors))


# -- showing an org --------------------------------------------------------------------------------
def secret_hint(value: str | None) -> str:
    """"set ••••1234" for a long secret, "set" for a short one or a key, "not set"."""
    if not value:
        return "not set"
    if len(value) >= 16 and "-----" not in value:
        return f"set ••••{value[-4:]}"
    return "set"


def secret_hints(org: ConfiguredOrg | None) -> dict[str, str]:
    stored = split_connection(org)[1] if org is not None else {}
    return {name: secret_hint(stored.get(name)) for name in SECRET_LABELS}


def plain_values(org: ConfiguredOrg) -> dict[str, Any]:
    """The connection fields an admin may edit, as a form or a JSON body shows them."""
    connection, credentials = org.connection, org.connection.credentials
    return {
        "org_id": connection.org_id, "name": org.name,
        "auth_mode": DEMO_AUTH_MODE if org.is_demo else connection.auth_mode.value,
        "instance_url": connection.instance_url, "login_domain": connection.login_domain,
        "api_version": connection.api_version, "timeout": connection.timeout,
        "ca_bundle": connection.ca_bundle, "username": getattr(credentials, "username", None),
        "consumer_key": getattr(credentials, "consumer_key", None) or org.consumer_key,
    }  # fmt: skip


def field_values(org: ConfiguredOrg) -> dict[str, Any]:
    connection, bands = org.connection, org.mapping.deal_size_bands
    return {
        "challenge_field": connection.challenge_field,
        "industry_field": connection.industry_field,
        "extra_fields": list(connection.extra_fields),
        "deal_size_bands": None if bands is None else
        {"medium_from": bands.medium_from, "large_from": bands.large_from},
    }


def frame_ancestor_values(org: ConfiguredOrg) -> dict[str, list[str]]:
    return {
        "derived": list(frame_ancestor_origins(org.connection.instance_url)),
        "extra": list(org.extra_frame_ancestors),
    }


# -- parsing a connection --------------------------------------------------------------------
def parse_connection(data: Mapping[str, Any], existing: ConfiguredOrg | None,
                     outbound: OutboundPolicy = OutboundPolicy()) -> ConfiguredOrg:
    """A new or edited org from an admin's input. On an edit, fields missing from ``data`` keep
    their stored value and empty secrets keep the stored secret; the org Id cannot change, and
    the mapping and frame ancestors are kept (they have their own pages)."""
    known = (*CONNECTION_FIELDS, *SECRET_LABELS)
    errors = [FieldError(str(name)[:60], "is not a connection field", allowed=list(known))
              for name in data if name not in known]
    given = {**(plain_values(existing) if existing else {}),
             **{k: _blank_to_none(v) for k, v in data.items() if k in CONNECTION_FIELDS}}
    if existing is not None:
        given["org_id"] = existing.connection.org_id
    secrets = _secrets(data, existing, errors)
    org_id = _org_id(given.get("org_id"), errors)
    name = _name(given.get("name"), errors)
    mode = _auth_mode(given.get("auth_mode"), errors)
    connection_args = _connection_args(given, errors, outbound)
    if mode is not None:
        _require(mode, given, secrets, existing, errors)
    if errors or org_id is None or mode is None:
        raise OrgInputInvalid(errors)
    try:
        credentials = _credentials(mode, given, secrets, existing)
        connection = OrgConnection(
            org_id=org_id, credentials=credentials, canvas_secret=secrets.get("canvas_secret"),
            **connection_args, **_kept_fields(existing), outbound=outbound,
        )
    except SalesforceConfigError as exc:
        raise OrgInputInvalid([FieldError("connection", str(exc))]) from None
    # JWT and client credentials keep the key in their credentials; sign-in needs it here.
    uses_own_key = mode in (AuthMode.CANVAS, AuthMode.PASSWORD)
    consumer_key = given.get("consumer_key") if uses_own_key else None
    return ConfiguredOrg(
        name=name, connection=connection, consumer_key=consumer_key,
        extra_frame_ancestors=existing.extra_frame_ancestors if existing else (),
        mapping=existing.mapping if existing else OrgMapping(),
    )  # fmt: skip


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _secrets(data: Mapping[str, Any], existing: ConfiguredOrg | None,
             errors: list[FieldError]) -> dict[str, str]:
    """Stored secrets, overridden by those given; a secret's value never appears in an error."""
    secrets = dict(split_connection(existing)[1]) if existing else {}
    for name in SECRET_LABELS:
        value = data.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 20_000:
            errors.append(FieldError(name, "must be text (up to 20,000 characters)"))
            continue
        secrets[name] = value.strip() if name != "private_key" else value.strip() + "\n"
    key = data.get("private_key")
    if isinstance(key, str) and key.strip() and not _is_private_key(key):
        errors.append(FieldError("private_key",
                                 "is not a PEM private key (-----BEGIN PRIVATE KEY----- …)"))
    return secrets


def _is_private_key(text: str) -> bool:
    try:
        load_pem_private_key(text.strip().encode(), password=None)
    except (ValueError, TypeError):
        return False
    return True


def _org_id(raw: Any, errors: list[FieldError]) -> str | None:
    try:
        return to_18(raw, prefix="00D")
    except InvalidSalesforceId as exc:
        errors.append(FieldError(
            "org_id", f"{exc.reason} (an org Id is 15 or 18 characters starting 00D)",
            str(raw)[:40] if raw is not None else None))
        return None


def _name(raw: Any, errors: list[FieldError]) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > MAX_NAME:
        errors.append(FieldError("name", f"is required (up to {MAX_NAME} characters)"))
        return ""
    return raw.strip()


def _auth_mode(raw: Any, errors: list[FieldError]) -> AuthMode | None:
    try:
        return AuthMode(raw)
    except ValueError:
        errors.append(FieldError("auth_mode", "is not an auth mode", str(raw)[:40] if raw else None,
                                 list(AUTH_LABELS)))
        return None


def _connection_args(given: Mapping[str, Any], errors: list[FieldError],
                     outbound: OutboundPolicy) -> dict[str, Any]:
    """The plain settings, each checked on its own so an error names its field."""
    texts = ("instance_url", "login_domain", "api_version", "ca_bundle", "username", "consumer_key")
    not_text = [FieldError(n, "must be text") for n in texts
                if given.get(n) is not None and not isinstance(given[n], str)]
    if not_text:
        errors += not_text
        return {}
    args: dict[str, Any] = {
        "api_version": given.get("api_version") or DEFAULT_API_VERSION,
        "ca_bundle": given.get("ca_bundle"), "login_domain": given.get("login_domain"),
    }  # fmt: skip
    try:
        args["instance_url"] = normalise_https_url(given.get("instance_url") or "")
        outbound.check_url(args["instance_url"], "instance URL")
    except SalesforceConfigError as exc:
        errors.append(FieldError("instance_url", str(exc).removeprefix("instance URL ")))
    except HostNotAllowed as exc:
        errors.append(FieldError("instance_url", str(exc).removeprefix("instance URL ")))
    timeout = given.get("timeout")
    args["timeout"] = DEFAULT_TIMEOUT if timeout is None else _number(timeout)
    if args["timeout"] is None or not 0 < args["timeout"] <= 120:
        errors.append(FieldError("timeout", "must be a number of seconds above 0, at most 120",
                                 str(timeout)[:20]))
    probe = {"org_id": "00D000000000001", "instance_url": "https://probe.my.salesforce.com"}
    for name in ("api_version", "ca_bundle", "login_domain"):
        try:
            OrgConnection(**probe, **{name: args[name]})
        except SalesforceConfigError as exc:
            errors.append(FieldError(name, str(exc), str(args[name])[:60]))
    return args


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _require(mode: AuthMode, given: Mapping[str, Any], secrets: Mapping[str, str],
             existing: ConfiguredOrg | None, errors: list[FieldError]) -> None:
    credentials = existing.connection.credentials if existing else None
    key_file = getattr(credentials, "private_key_file", None)
    for name in REQUIRED[mode]:
        present = secrets.get(name) if name in SECRET_LABELS else given.get(name)
        if name == "private_key" and key_file:
            present = present or key_file
        if not present:
            mode_name = AUTH_LABELS[mode.value].split(" (")[0]
            errors.append(FieldError(name, f"is required for {mode_name}"))


def _credentials(mode: AuthMode, given: Mapping[str, Any], secrets: Mapping[str, str],
                 existing: ConfiguredOrg | None):
    if mode is AuthMode.CANVAS:
        return None
    if mode is AuthMode.CLIENT_CREDENTIALS:
        return ClientCredentials(given["consumer_key"], secrets["consumer_secret"])
    if mode is AuthMode.PASSWORD:
        return PasswordCredentials(given["username"], secrets["password"],
                                   secrets.get("security_token", ""))
    old = existing.connection.credentials if existing else None
    key = secrets.get("private_key")
    key_file = None if key else getattr(old, "private_key_file", None)
    return JwtBearerCredentials(given["username"], given["consumer_key"], private_key=key,
                                private_key_file=key_file, audience=getattr(old, "audience", None))


def _kept_fields(existing: ConfiguredOrg | None) -> dict[str, Any]:
    if existing is None:
        return {}
    c = existing.connection
    return {"challenge_field": c.challenge_field, "industry_field": c.industry_field,
            "extra_fields": c.extra_fields}


# -- parsing the field mapping, stages and frame ancestors ---------------------------------------
def parse_fields(data: Mapping[str, Any], org: ConfiguredOrg) -> ConfiguredOrg:
    """The org with its challenge field, industry override, extra fields and deal-size
    thresholds as given (missing keys keep their value; null or "" clears a field)."""
    allowed = ("challenge_field", "industry_field", "extra_fields", "deal_size_bands")
    errors = [FieldError(str(k)[:60], "is not a field-mapping setting", allowed=list(allowed))
              for k in data if k not in allowed]
    values = {**field_values(org), **{k: data[k] for k in allowed if k in data}}
    paths: dict[str, Any] = {}
    for name in ("challenge_field", "industry_field"):
        paths[name] = _field_path(values[name], name, errors)
    extra = values["extra_fields"] or []
    if isinstance(extra, str):
        extra = [line for line in extra.replace(",", "\n").splitlines()]
    if not isinstance(extra, list):
        errors.append(FieldError("extra_fields", "must be a list of field API names"))
        extra = []
    extra = [p for p in (_field_path(f, "extra_fields", errors) for f in extra) if p]
    if len(extra) > MAX_EXTRA_FIELDS:
        errors.append(FieldError("extra_fields", f"may name at most {MAX_EXTRA_FIELDS} fields"))
    try:
        bands = parse_bands(values["deal_size_bands"])
    except MappingInvalid as exc:
        errors += exc.errors
        bands = None
    if errors:
        raise OrgInputInvalid(errors)
    try:
        connection = replace(org.connection, extra_fields=tuple(extra), **paths)
    except SalesforceConfigError as exc:  # the stored connection no longer holds (a CA file went)
        raise OrgInputInvalid([FieldError("connection", str(exc))]) from None
    return replace(org, connection=connection, mapping=replace(org.mapping, deal_size_bands=bands))


def _field_path(raw: Any, name: str, errors: list[FieldError]) -> str | None:
    raw = _blank_to_none(raw)
    if raw is None:
        return None
    try:
        return validate_field_path(raw)
    except SalesforceConfigError as exc:
        errors.append(FieldError(name, str(exc), str(raw)[:60]))
        return None


def parse_stages(data: Any, org: ConfiguredOrg) -> ConfiguredOrg:
    """The org with exactly these stage → phase entries (a null phase drops a stage)."""
    try:
        phases = parse_stage_phases(data)
    except MappingInvalid as exc:
        raise OrgInputInvalid(exc.errors) from None
    return replace(org, mapping=replace(org.mapping, stage_phases=phases))


def parse_frame_ancestors(raw: Any, org: ConfiguredOrg) -> ConfiguredOrg:
    """The org with these extra origins allowed to frame its panel."""
    if isinstance(raw, str):
        raw = [line for line in raw.replace(",", "\n").splitlines() if line.strip()]
    if not isinstance(raw, list) or len(raw) > MAX_FRAME_ANCESTORS:
        message = f"must be a list of at most {MAX_FRAME_ANCESTORS} origins"
        raise OrgInputInvalid([FieldError("extra", message)])
    origins, errors = [], []
    for value in raw:
        try:
            origins.append(normalise_origin(value))
        except SalesforceConfigError:
            errors.append(FieldError("extra", "is not an origin: https://host[:port] "
                                     "(http only for localhost)",
                                     str(value)[:80]))
    if errors:
        raise OrgInputInvalid(errors)
    return replace(org, extra_frame_ancestors=tuple(dict.fromkeys(origins)))


__all__ = [
    "AUTH_LABELS", "CONNECTION_FIELDS", "OrgInputInvalid", "SECRET_LABELS", "field_values",
    "frame_ancestor_values", "parse_connection", "parse_fields", "parse_frame_ancestors",
    "parse_stages", "plain_values", "secret_hint", "secret_hints",
]  # fmt: skip

