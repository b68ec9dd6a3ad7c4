"""``beinspired org …``: connect, edit, test, map, list and remove Salesforce orgs; manage keys."""
from __future__ import annotations

import os

import click

from content_catalog.taxonomy import DealSizeBands, JourneyPhase
from plugin.orgs.management import OrgAdmin, OrgNotManaged
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox, normalise_origin
from plugin.orgs.admin_input import OrgInputInvalid, field_values
from plugin.crm.salesforce.config import (
    ClientCredentials,
    JwtBearerCredentials,
    OrgConnection,
    PasswordCredentials,
    normalise_https_url,
)
from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.outbound import MAX_CA_PEM_CHARS, HostNotAllowed
from plugin.services import org_admin_for, build_services
from plugin.settings import Settings

SECRET_ENV = {
    "consumer_secret": "SF_CONSUMER_SECRET",
    "password": "SF_PASSWORD",
    "security_token": "SF_SECURITY_TOKEN",
    "canvas_secret": "SF_CANVAS_SECRET",
}


CA_BUNDLE_HELP = ("A PEM file of CA certificates to trust for this org's Salesforce calls, only "
                  "behind a TLS-inspecting proxy. Its certificates are stored with the org (not "
                  "the path); overrides BEINSPIRED_CRM_CA_BUNDLE and REQUESTS_CA_BUNDLE for it.")


def _store() -> OrgConnections:
    services = build_services(Settings())
    from content_catalog.database import upgrade

    upgrade(services.engine)
    return services.org_connections()


def _admin() -> OrgAdmin:
    """Every org: the command line runs on the service's own host."""
    services = build_services(Settings())
    from content_catalog.database import upgrade

    upgrade(services.engine)
    return org_admin_for(services, None)


def _refused(exc: Exception) -> click.ClickException:
    if isinstance(exc, OrgInputInvalid):
        lines = [f"  {e.field}: {e.message}" + (f" ({e.value})" if e.value is not None else "")
                 for e in exc.errors]
        return click.ClickException("not saved:\n" + "\n".join(lines))
    return click.ClickException(f"{exc} (see 'beinspired org list')")


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
@click.option("--ca-bundle", type=click.File("r"), help=CA_BUNDLE_HELP)
@click.option("--frame-ancestor", "frame_ancestors", multiple=True,
              help="Extra origin allowed to frame the panel: https://host[:port] (http only for localhost).")
def add(org_id, name, instance_url, auth_mode, consumer_key, username, private_key_file, login_domain,
        challenge_field, api_version, timeout, ca_bundle, frame_ancestors) -> None:
    store = _store()
    ancestors = []
    for origin in frame_ancestors:
        try:
            ancestors.append(normalise_origin(origin))
        except SalesforceConfigError:
            raise click.BadParameter("not an origin: https://host[:port] (http only for localhost)",
                                     param_hint=f"'--frame-ancestor' ({origin[:80]!r})") from None
    try:
        store.outbound.check_url(normalise_https_url(instance_url), "instance URL")
    except (SalesforceConfigError, HostNotAllowed) as exc:
        raise click.BadParameter(str(exc).removeprefix("instance URL "),
                                 param_hint="'--instance-url'") from None
    try:
        credentials = _credentials(auth_mode, consumer_key, username, private_key_file)
        configured = ConfiguredOrg(
            name=name,
            connection=OrgConnection(
                org_id=org_id, instance_url=instance_url, credentials=credentials, api_version=api_version,
                timeout=timeout, ca_bundle=ca_bundle.read(MAX_CA_PEM_CHARS + 1) if ca_bundle else None,
                challenge_field=challenge_field, canvas_secret=_secret("canvas_secret"),
                login_domain=login_domain, outbound=store.outbound,
            ),
            extra_frame_ancestors=tuple(ancestors),
            consumer_key=consumer_key if auth_mode == "canvas" else None,  # else in the credentials
        )  # fmt: skip
    except SalesforceConfigError as exc:
        raise click.BadParameter(str(exc)) from None
    store.save(configured)
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
    try:
        report = _admin().status(org_id)
    except OrgNotManaged:
        raise click.ClickException(f"no org {org_id!r} is configured (see 'beinspired org list')") from None
    org, usage, events = report.org, report.usage, report.events
    mode = "demo records" if org.is_demo else org.connection.auth_mode.value
    click.echo(f"{org.name} ({org.connection.org_id}), {mode}")
    if usage is None:
        click.echo("API usage: not reported yet")
    else:
        share = usage.used / usage.limit if usage.limit else 1.0
        click.echo(f"API usage: {usage.used:,} of {usage.limit:,} daily requests ({share:.0%}) at {usage.reported_at:%Y-%m-%d %H:%M}")
    click.echo("Recent problems:" if events else "Recent problems: none")
    for event in events:
        click.echo(f"  {event.at:%Y-%m-%d %H:%M}  {event.kind:15} {event.message}")
    if report.unknown:
        click.echo("Values Salesforce sent that the taxonomy does not know (map them):")
        for row in report.unknown:
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


@org.command("edit", help="Change an org's connection. Options left out keep their value; so do "
                          "secrets whose variable (SF_CONSUMER_SECRET, SF_PASSWORD, "
                          "SF_SECURITY_TOKEN, SF_CANVAS_SECRET) is unset.")
@click.argument("org_id")
@click.option("--name")
@click.option("--instance-url")
@click.option("--auth", "auth_mode",
              type=click.Choice(["jwt_bearer", "client_credentials", "password", "canvas"]))
@click.option("--consumer-key")
@click.option("--username")
@click.option("--private-key-file", type=click.File("r"),
              help="A PEM key; its content is stored encrypted.")
@click.option("--login-domain")
@click.option("--api-version")
@click.option("--timeout", type=float)
@click.option("--ca-bundle", type=click.File("r"), help=CA_BUNDLE_HELP)
def edit(org_id, private_key_file, ca_bundle, **options) -> None:
    data = {name: value for name, value in options.items() if value is not None}
    if ca_bundle is not None:
        data["ca_bundle"] = ca_bundle.read(MAX_CA_PEM_CHARS + 1)
    data.update({name: os.environ[env] for name, env in SECRET_ENV.items() if os.environ.get(env)})
    if private_key_file is not None:
        data["private_key"] = private_key_file.read()
    try:
        saved = _admin().update(org_id, data)
    except (OrgInputInvalid, OrgNotManaged) as exc:
        raise _refused(exc) from None
    click.echo(f"Org {saved.connection.org_id} ({saved.name}) saved; secrets encrypted.")


@org.command("test", help="Log in, read the org's name and API usage, and check every field the "
                          "panel reads.")
@click.argument("org_id")
def test(org_id: str) -> None:
    try:
        check = _admin().test(org_id)
    except OrgNotManaged as exc:
        raise _refused(exc) from None
    click.echo(check.summary())
    if check.api_usage is not None:
        usage = check.api_usage
        click.echo(f"API usage: {usage.used:,} of {usage.limit:,} daily requests "
                   f"({usage.fraction:.0%})")
    for missing in check.missing:
        why = "the whole object" if missing.field is None else missing.role
        click.echo(f"  cannot read {missing.label} ({why})")
    if check.testable and not check.ok:
        raise SystemExit(1)


@org.command("stages", help="The org's stages (read from Salesforce when it has credentials) and "
                            "their journey phases.")
@click.argument("org_id")
def stages(org_id: str) -> None:
    try:
        listing = _admin().stages(org_id)
    except OrgNotManaged as exc:
        raise _refused(exc) from None
    heading = "The org's active stages, in pipeline order:"
    click.echo(heading if listing.from_salesforce else listing.note)
    for row in listing.rows:
        phase = row.phase.value if row.phase else "UNMAPPED"
        where = {"org": "this org", "default": "default"}.get(row.mapped_by or "", "")
        if row.assumed:
            where = f"panels assume {row.assumed.phase.value} meanwhile"
        label = f"{row.value} ({row.label})" if row.label != row.value else row.value
        click.echo(f"  {label:40} {phase:24} {where}")
    if listing.unmapped:
        click.echo(f"{len(listing.unmapped)} stage(s) map to no phase: "
                   "beinspired org map-stage ORG_ID STAGE PHASE")


@org.command("map-stage", help="Map a stage (as StageName holds it) to a journey phase; 'none' "
                               "removes the org's entry.")
@click.argument("org_id")
@click.argument("stage")
@click.argument("phase", type=click.Choice([p.value for p in JourneyPhase] + ["none"]))
def map_stage(org_id: str, stage: str, phase: str) -> None:
    try:
        saved = _admin().map_stage(org_id, stage, None if phase == "none" else JourneyPhase(phase))
    except OrgNotManaged as exc:
        raise _refused(exc) from None
    except ValueError as exc:  # MappingInvalid: the stage name
        raise click.BadParameter(str(exc), param_hint="STAGE") from None
    now = saved.mapping.phase_of(stage)
    click.echo(f"{stage!r} → {now.value if now else 'the default mapping, if any'}")


@org.command("fields", help="Show or change where the org keeps the challenge, the industry and "
                            "extra text, and its deal-size thresholds. An empty value clears a "
                            "field.")
@click.argument("org_id")
@click.option("--challenge-field", help="Field__c or Account.Field__c.")
@click.option("--industry-field", help="Overrides Account.Industry, e.g. Account.Sector__c.")
@click.option("--extra-field", "extra_fields", multiple=True,
              help="Read as text for matching (repeat; replaces the list).")
@click.option("--no-extra-fields", is_flag=True, help="Clear the extra fields.")
@click.option("--medium-from", type=float, help="Amount from which a deal is mid-size.")
@click.option("--large-from", type=float, help="Amount from which a deal is large.")
@click.option("--default-deal-sizes", is_flag=True, help="Back to the default thresholds.")
def fields(org_id, challenge_field, industry_field, extra_fields, no_extra_fields, medium_from,
           large_from, default_deal_sizes) -> None:
    data: dict = {}
    for name, value in (("challenge_field", challenge_field), ("industry_field", industry_field)):
        if value is not None:
            data[name] = value or None
    if extra_fields or no_extra_fields:
        data["extra_fields"] = list(extra_fields)
    admin = _admin()
    try:
        if medium_from is not None or large_from is not None:  # one given: the other stays
            bands = admin.get(org_id).mapping.deal_size_bands or DealSizeBands()
            data["deal_size_bands"] = {
                "medium_from": bands.medium_from if medium_from is None else medium_from,
                "large_from": bands.large_from if large_from is None else large_from,
            }
        if default_deal_sizes:
            data["deal_size_bands"] = None
        org = admin.update_fields(org_id, data) if data else admin.get(org_id)
    except (OrgInputInvalid, OrgNotManaged) as exc:
        raise _refused(exc) from None
    values = field_values(org)
    bands = values["deal_size_bands"]
    click.echo(f"challenge field:  {values['challenge_field'] or '(none)'}")
    click.echo(f"industry field:   {values['industry_field'] or 'Account.Industry'}")
    click.echo(f"extra fields:     {', '.join(values['extra_fields']) or '(none)'}")
    sizes = ("defaults (mid-size from 50,000, large from 250,000)" if bands is None else
             f"mid-size from {bands['medium_from']:,.0f}, large from {bands['large_from']:,.0f}")
    click.echo(f"deal sizes:       {sizes}")
