"""``beinspired org …``: connect, list and remove Salesforce orgs; make and rotate keys.

Secrets never travel as command-line arguments (they would show in ``ps`` and shell history):
they come from environment variables or a hidden prompt.
"""
from __future__ import annotations

import os

import click

from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import CatalogRepository
from plugin.org_connections import ConfiguredOrg, OrgConnections, SecretBox, normalise_origin
from plugin.salesforce.config import (
    ClientCredentials,
    JwtBearerCredentials,
    OrgConnection,
    PasswordCredentials,
)
from plugin.salesforce.errors import SalesforceConfigError
from plugin.services import build_services
from plugin.settings import Settings

SECRET_ENV = {
    "consumer_secret": "SF_CONSUMER_SECRET",
    "password": "SF_PASSWORD",
    "security_token": "SF_SECURITY_TOKEN",
    "canvas_secret": "SF_CANVAS_SECRET",
}


def _store() -> OrgConnections:
    settings = Settings()
    services = build_services(settings)
    from content_catalog.database import upgrade

    upgrade(services.engine)
    return OrgConnections(services.sessions, SecretBox(settings.encryption_key_list))


def _secret(name: str, required: bool = True) -> str | None:
    value = os.environ.get(SECRET_ENV[name])
    if value:
        return value
    if not required:
        return None
    return click.prompt(f"{name.replace('_', ' ')} (or set {SECRET_ENV[name]})", hide_input=True)


@click.group("org", help="Salesforce orgs this service serves.")
def org() -> None:
    pass


@org.command("add", help="Add or replace an org connection.")
@click.option("--org-id", required=True, help="The org's Id (00D…).")
@click.option("--name", required=True)
@click.option("--instance-url", required=True, help="https://mydomain.my.salesforce.com (any HTTPS host:port).")
@click.option("--auth", "auth_mode", type=click.Choice(["jwt_bearer", "client_credentials", "password", "canvas"]), required=True,
              help="How the service reads data; 'canvas' uses only the viewing user's token.")
@click.option("--consumer-key", help="The connected app's consumer key (for --auth canvas: lets people sign in with Salesforce).")
@click.option("--username")
@click.option("--private-key-file", type=click.Path(exists=True, dir_okay=False))
@click.option("--login-domain", help="login, test, or acme.my (when the instance URL is not *.salesforce.com).")
@click.option("--challenge-field", help="API name of the field holding the customer challenge, e.g. Customer_Challenge__c.")
@click.option("--api-version", default="59.0", show_default=True)
@click.option("--timeout", type=float, default=3.0, show_default=True)
@click.option("--ca-bundle", type=click.Path(exists=True))
@click.option("--frame-ancestor", "frame_ancestors", multiple=True, help="Extra origin allowed to frame the panel.")
def add(org_id, name, instance_url, auth_mode, consumer_key, username, private_key_file, login_domain,
        challenge_field, api_version, timeout, ca_bundle, frame_ancestors) -> None:
    try:
        credentials = _credentials(auth_mode, consumer_key, username, private_key_file)
        configured = ConfiguredOrg(
            name=name,
            connection=OrgConnection(
                org_id=org_id, instance_url=instance_url, credentials=credentials, api_version=api_version,
                timeout=timeout, ca_bundle=ca_bundle, challenge_field=challenge_field,
                canvas_secret=_secret("canvas_secret"), login_domain=login_domain,
            ),
            extra_frame_ancestors=tuple(normalise_origin(o) for o in frame_ancestors),
            consumer_key=consumer_key if auth_mode == "canvas" else None,  # else in the credentials
        )  # fmt: skip
    except SalesforceConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    _store().save(configured)
    click.echo(f"Org {configured.connection.org_id} ({name}) saved; secrets encrypted.")


def _credentials(auth_mode, consumer_key, username, private_key_file):
    if auth_mode == "canvas":
        return None
    if auth_mode == "jwt_bearer":
        return JwtBearerCredentials(username=username or "", consumer_key=consumer_key or "", private_key_file=private_key_file)
    if auth_mode == "client_credentials":
        return ClientCredentials(consumer_key=consumer_key or "", consumer_secret=_secret("consumer_secret"))
    return PasswordCredentials(username=username or "", password=_secret("password"),
                               security_token=_secret("security_token", required=False) or "")


@org.command("list", help="Configured orgs (no secrets are shown).")
def list_orgs() -> None:
    rows = _store().names()
    if not rows:
        click.echo("No orgs configured.")
    for org_id, name, mode in rows:
        click.echo(f"{org_id}  {mode:18}  {name}")


@org.command("status", help="An org's connection: API usage, recent problems, unmapped values.")
@click.argument("org_id")
def status(org_id: str) -> None:
    store = _store()
    rows = {row[0]: row for row in store.names()}
    if org_id not in rows:
        raise click.ClickException(f"no org {org_id!r} is configured (see 'beinspired org list')")
    _, name, mode = rows[org_id]
    with store.sessions() as session:
        activity = OrgActivityRepository(session, org_id)
        usage, events = activity.usage(), activity.recent_events()
        unknown = CatalogRepository(session, org_id).unknown_values()
    click.echo(f"{name} ({org_id}), {mode}")
    if usage is None:
        click.echo("API usage: not reported yet")
    else:
        share = usage.used / usage.limit if usage.limit else 1.0
        click.echo(f"API usage: {usage.used:,} of {usage.limit:,} daily requests ({share:.0%}) at {usage.reported_at:%Y-%m-%d %H:%M}")
    click.echo("Recent problems:" if events else "Recent problems: none")
    for event in events:
        click.echo(f"  {event.at:%Y-%m-%d %H:%M}  {event.kind:15} {event.message}")
    if unknown:
        click.echo("Values Salesforce sent that the taxonomy does not know (map them):")
        for row in unknown:
            click.echo(f"  {row.dimension:12} {row.value!r} seen {row.times_seen}×")


@org.command("remove", help="Remove an org connection.")
@click.argument("org_id")
def remove(org_id: str) -> None:
    if not _store().remove(org_id):
        raise click.ClickException(f"no org {org_id!r} is configured")
    click.echo(f"Org {org_id} removed.")


@org.command("new-key", help="Print a new encryption key for BEINSPIRED_ENCRYPTION_KEYS.")
def new_key() -> None:
    click.echo(SecretBox.new_key())


@org.command("rotate-key", help="Re-encrypt every org's secrets under the first key in BEINSPIRED_ENCRYPTION_KEYS.")
def rotate_key() -> None:
    count = _store().rotate()
    click.echo(f"Re-encrypted the secrets of {count} org(s). Old keys can now be removed from BEINSPIRED_ENCRYPTION_KEYS.")
