"""One navigation for the roles a person has: the areas they may open (workspace, admin console,
the demo record page), and, on a refused page, how to get in (sign in, whom to ask, the demo's
"view as"). The shell, the demo header and the error page all ask it."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask, current_app, request, url_for

from plugin.access.role_mappings import Role, User
from plugin.errors import ApiError
from plugin.web import identity
from plugin.web.identity import demo_picker_allowed

ROLE_WORDS = {Role.REP: "rep", Role.MANAGER: "manager", Role.ENABLEMENT: "enablement lead",
              Role.ADMIN: "admin"}
#: Who may open each area (a manager: the workspace's analytics only), and what a refused person
#: should ask for.
AREA_ROLES = {"workspace": (Role.MANAGER, Role.ENABLEMENT, Role.ADMIN), "admin": (Role.ADMIN,)}
ASK_FOR = {
    "workspace": "the enablement lead or admin role",
    "admin": "the admin role",
}


@dataclass(frozen=True)
class AppLink:
    key: str
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class AccessHelp:
    """What a person refused a page can do next."""

    #: "Ann Lee (role: rep)", or None when nobody is signed in.
    signed_in_as: str | None
    #: The role they would need, in words ("the admin role").
    needs: str
    #: Sign in again as someone else of the same org (a link), when someone is signed in.
    sign_in_url: str | None
    #: Nobody is signed in: sign-in needs their org Id (a small form back to this page).
    asks_for_org: bool
    #: This page, to come back to after signing in.
    back_to: str
    #: Demo mode on this machine: the "view as" picker, coming back here (and no sign-in).
    demo_picker_url: str | None


def _user_or_none() -> User | None:
    try:  # through the module, as the blueprints' checks look it up
        return identity.current_user()
    except ApiError:
        return None


def app_links(user: User | None = None) -> list[AppLink]:
    """The areas ``user`` (default: whoever asks) may open, the current one marked."""
    user = user or _user_or_none()
    here = request.blueprint or ""
    links: list[AppLink] = []
    if "demo" in current_app.blueprints:
        links.append(AppLink("demo", "Demo record page", url_for("demo.record_page"), here == "demo"))
    if user is not None and user.role in AREA_ROLES["workspace"]:
        links.append(AppLink("workspace", "Enablement workspace", url_for("workspace.home"),
                             here == "workspace"))
    if user is not None and user.role in AREA_ROLES["admin"]:
        links.append(AppLink("admin", "Admin console", url_for("admin.home"), here == "admin"))
    return links


def access_help(status: int) -> AccessHelp | None:
    """For a refused (401/403) page of the workspace or the admin console; None elsewhere (the
    panel's own errors are seen inside Salesforce, where signing in is Salesforce's)."""
    area = request.blueprint or ""
    if status not in (401, 403) or area not in AREA_ROLES:
        return None
    user = _user_or_none()
    here = request.full_path.rstrip("?")
    signed_in = None if user is None else f"{user.name} (role: {ROLE_WORDS[user.role]})"
    if demo_picker_allowed():
        picker = url_for("demo_identity.picker") + "?" + urlencode({"next": here})
        return AccessHelp(signed_in, ASK_FOR[area], None, False, here, picker)
    sign_in = None
    if user is not None:
        sign_in = url_for("auth.login") + "?" + urlencode({"org": user.org_id, "next": here})
    return AccessHelp(signed_in, ASK_FOR[area], sign_in, user is None, here, None)


def install_app_navigation(app: Flask) -> None:
    @app.context_processor
    def navigation_of_roles():
        return {"app_links": app_links, "access_help": access_help,
                "demo_picker_allowed": demo_picker_allowed}


__all__ = ["AccessHelp", "AppLink", "access_help", "app_links", "install_app_navigation"]
