"""``beinspired roles …``: who is a rep, an enablement lead or an admin, from the service's host."""
from __future__ import annotations

import click

from content_catalog.database import upgrade
from plugin.crm.demo_org import DEMO_ORG_ID
from plugin.orgs.connections import OrgConnections, SecretBox
from plugin.access.role_changes import RoleAdmin, RoleChange, RoleMappingNotFound
from plugin.access.role_mappings import (
    ID_PREFIXES,
    ROLE_ORDER,
    InvalidRoleMapping,
    SubjectKind,
    parse_role_mapping,
    parse_subject,
)
from plugin.crm.salesforce.ids import ORG_PREFIX, InvalidSalesforceId, to_18
from plugin.services import build_services
from plugin.settings import Settings
from plugin.access.user_sessions import UserSessions

#: Subject kind → its command-line option, in the order a person's role is looked up.
OPTIONS = {SubjectKind.USER: "--user", SubjectKind.PERMISSION_SET: "--permission-set",
           SubjectKind.PROFILE: "--profile"}
BY = "beinspired roles"


def _role_admin(org_id: str) -> RoleAdmin:
    try:
        org_id = to_18(org_id, prefix=ORG_PREFIX)
    except InvalidSalesforceId as exc:
        raise click.BadParameter(exc.reason, param_hint="--org") from None
    settings = Settings()
    services = build_services(settings)
    upgrade(services.engine)
    store = OrgConnections(services.sessions, SecretBox(settings.encryption_key_list))
    configured = {row[0] for row in store.names()}
    if org_id not in configured and not (settings.demo_mode and org_id == DEMO_ORG_ID):
        raise click.ClickException(f"no org {org_id!r} is configured (see 'beinspired org list')")
    signed_in = UserSessions(services.sessions, max_seconds=settings.session_max_seconds,
                             idle_seconds=settings.session_idle_seconds)
    return RoleAdmin(services.sessions, signed_in, org_id)


def _subject(user: str | None, permission_set: str | None, profile: str | None):
    """(kind, raw Id) of the one subject given."""
    given = [(kind, value) for kind, value in zip(OPTIONS, (user, permission_set, profile))
             if value is not None]
    if len(given) != 1:
        raise click.UsageError(f"give exactly one of {', '.join(OPTIONS.values())}")
    return given[0]


def subject_options(command):
    for kind in reversed(OPTIONS):
        help_text = (f"A {kind.value.replace('_', ' ')} Id ({ID_PREFIXES[kind]}…, 15 or 18 "
                     "characters).")
        command = click.option(OPTIONS[kind], kind.value, help=help_text)(command)
    return command


@click.group("roles", help="Map Salesforce users, permission sets and profiles to roles.")
def roles() -> None:
    pass


@roles.command("list", help="An org's role mappings, in the order they are looked up.")
@click.option("--org", "org_id", required=True, help="The org's Id (00D…).")
def list_mappings(org_id: str) -> None:
    admin = _role_admin(org_id)
    order = list(OPTIONS)
    mappings = sorted(admin.list(), key=lambda m: (order.index(m.subject_kind), m.subject_id))
    if not mappings:
        click.echo(f"No role mappings: everyone from {admin.org_id} is a rep.")
    for m in mappings:
        click.echo(f"{m.subject_kind.value:15} {m.subject_id}  {m.role.value}")


@roles.command("set", help="Map a user, permission set or profile to a role (or change it).")
@click.option("--org", "org_id", required=True, help="The org's Id (00D…).")
@subject_options
@click.option("--role", required=True, type=click.Choice([r.value for r in ROLE_ORDER]))
def set_mapping(org_id: str, user: str | None, permission_set: str | None, profile: str | None,
                role: str) -> None:
    kind, subject_id = _subject(user, permission_set, profile)
    try:
        mapping = parse_role_mapping(kind.value, subject_id, role)
    except InvalidRoleMapping as exc:
        raise click.BadParameter(f"{exc.reason} (got {subject_id!r})",
                                 param_hint=OPTIONS[kind]) from None
    change = _role_admin(org_id).put(mapping, by=BY)
    was = f" (was {change.previous.value})" if change.previous else ""
    click.echo(f"{kind.value} {mapping.subject_id} is {mapping.role.value}{was}. "
               f"{_applies(change)}")


@roles.command("remove", help="Remove the mapping of a user, permission set or profile.")
@click.option("--org", "org_id", required=True, help="The org's Id (00D…).")
@subject_options
def remove_mapping(org_id: str, user: str | None, permission_set: str | None,
                   profile: str | None) -> None:
    kind, subject_id = _subject(user, permission_set, profile)
    try:
        kind, checked_id = parse_subject(kind.value, subject_id)
    except InvalidRoleMapping as exc:
        raise click.BadParameter(f"{exc.reason} (got {subject_id!r})",
                                 param_hint=OPTIONS[kind]) from None
    admin = _role_admin(org_id)
    try:
        change = admin.remove(kind, checked_id, by=BY)
    except RoleMappingNotFound:
        raise click.ClickException(
            f"org {admin.org_id} has no mapping for {kind.value} {checked_id}") from None
    click.echo(f"Removed: {kind.value} {checked_id} was {change.previous.value}. "
               f"{_applies(change)}")


def _applies(change: RoleChange) -> str:
    if change.mapping.subject_kind is not SubjectKind.USER:
        return "Applies at each person's next sign-in."
    return (f"Ended {change.sessions_ended} session(s) of theirs; applies at their next "
            "sign-in.")
