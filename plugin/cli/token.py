"""``beinspired token …``: personal API tokens for automation (catalog imports, CI).

The secret is printed once, by ``create``, and never again: only its hash is stored.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from content_catalog.database import upgrade
from plugin.access.api_tokens import ApiTokens, InvalidTokenRequest
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.access.role_mappings import Role
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.services import build_services
from plugin.settings import Settings


def _tokens(org_id: str) -> tuple[ApiTokens, str]:
    settings = Settings()
    services = build_services(settings)
    upgrade(services.engine)
    try:
        org_id = to_18(org_id, prefix="00D")
    except InvalidSalesforceId as exc:
        raise click.BadParameter(f"--org {exc.reason}") from None
    store = OrgConnections(services.sessions, SecretBox(settings.encryption_key_list))
    configured = {row[0] for row in store.names()}
    if org_id not in configured and not (settings.demo_mode and org_id == DEMO_ORG_ID):
        raise click.ClickException(f"no org {org_id!r} is configured (see 'beinspired org list')")
    return ApiTokens(services.sessions), org_id


@click.group("token", help="Personal API tokens (Authorization: Bearer bip_…).")
def token() -> None:
    pass


@token.command("create", help="Make a token; its secret is printed once.")
@click.option("--org", "org_id", required=True, help="The org's Id (00D…).")
@click.option("--name", required=True, help="What it is for, e.g. 'nightly catalog import'.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ENABLEMENT.value,
              show_default=True)
@click.option("--expires-in-days", type=click.IntRange(1, 3650),
              help="Default: never (revoke it instead).")
def create(org_id: str, name: str, role: str, expires_in_days: int | None) -> None:
    tokens, org_id = _tokens(org_id)
    expires_at = None
    if expires_in_days:
        expires_at = datetime.now(timezone.utc) + timedelta(days=expires_in_days)
    try:
        issued = tokens.create(org_id, name, Role(role), created_by="beinspired token create",
                               expires_at=expires_at)
    except InvalidTokenRequest as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"Token {issued.token.id} ({issued.token.name}, {role}) for {org_id}. "
               "Copy it now; it is not shown again:", err=True)
    click.echo(issued.secret)


@token.command("list", help="An org's tokens (never their secrets).")
@click.option("--org", "org_id", required=True)
def list_tokens(org_id: str) -> None:
    tokens, org_id = _tokens(org_id)
    rows = tokens.list(org_id)
    if not rows:
        click.echo("No tokens.")
    now = datetime.now(timezone.utc)
    for t in rows:
        state = "active" if t.active_at(now) else ("revoked" if t.revoked_at else "expired")
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(f"{t.id:>4}  {t.prefix}…  {t.role.value:10}  {state:8} "
                   f"last used {used:16}  {t.name}")


@token.command("revoke", help="Revoke a token at once.")
@click.option("--org", "org_id", required=True)
@click.argument("token_id", type=int)
def revoke(org_id: str, token_id: int) -> None:
    tokens, org_id = _tokens(org_id)
    if tokens.revoke(org_id, token_id) is None:
        raise click.ClickException(f"org {org_id} has no token {token_id}")
    click.echo(f"Token {token_id} revoked.")
