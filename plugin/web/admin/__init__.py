"""The admin console: connect the org to Salesforce, map its fields and stages, see its status.

Rule of this room: every route needs an admin and works on the admin's own org only."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, render_template, url_for

from plugin.web import identity
from plugin.errors import Forbidden
from plugin.web.identity import Role, requires
from plugin.orgs.management import OrgAdmin, OrgNotManaged, OrgOutOfScope
from plugin.orgs.connections import EncryptionKeyMissing, SecretsUnreadable
from plugin.services import org_admin_for
from plugin.web.app_navigation import ROLE_WORDS
from plugin.web.app_services import services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    #: Endpoints named "admin.<area>_…" light this item up.
    area: str


#: The console's navigation; each area's module appends its item when imported.
NAVIGATION: list[NavItem] = []


@blueprint.before_request
def require_admin() -> None:
    # Looked up through the module, so a test (or the demo picker) decides who is signed in.
    user = identity.current_user()
    if user.role is not Role.ADMIN:
        raise Forbidden("The admin console is for your org's Be Inspired admins, and you are "
                        f"signed in as a{'n' if user.role is Role.ENABLEMENT else ''} "
                        f"{ROLE_WORDS[user.role]}.")
    g.user = user


@blueprint.app_context_processor
def navigation():
    return {"admin_navigation": NAVIGATION}


@blueprint.get("/")
@requires(Role.ADMIN)
def home():
    return redirect(url_for("admin.orgs_list"))


def org_admin() -> OrgAdmin:
    """The signed-in admin's view of the orgs: their own org only."""
    return org_admin_for(services(), g.user.org_id)


@blueprint.errorhandler(OrgNotManaged)
def not_managed(exc: OrgNotManaged):
    return _error_page(404, str(exc))


@blueprint.errorhandler(OrgOutOfScope)
def out_of_scope(exc: OrgOutOfScope):
    return _error_page(403, str(exc))


@blueprint.errorhandler(SecretsUnreadable)
@blueprint.errorhandler(EncryptionKeyMissing)
def secrets_unavailable(exc: RuntimeError):
    return _error_page(500, f"The org's stored secrets cannot be used: {exc}.")


def _error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


from plugin.web.admin import connection_pages, mapping_pages, role_pages, ranker_page  # noqa: E402,F401  (routes, in nav order)
from plugin.web.admin import loss_reason_pages  # noqa: E402,F401  (routes, after the rest)
from plugin.web.admin import region_pages  # noqa: E402,F401  (partner accounts to regions, issue 15)
