"""Who is making a request, and what they may do."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import wraps

from flask import g, request, session

from plugin.access.api_tokens import ApiTokens, looks_like_api_token
from plugin.errors import Forbidden, Unauthorised
from plugin.access.role_changes import RoleAdmin
from plugin.access.role_mappings import Role, RoleMappings, User
from plugin.access.panel_tokens import bearer_token
from plugin.crm.salesforce.signed_request import CanvasRequest
from plugin.web.app_services import services
from plugin.web.proxy_trust import relayed_by_an_unknown_proxy
from plugin.access.user_sessions import UserSessions

#: A made-up, well-formed User Id (005…), in the 18-character form Salesforce's API sends: the
#: demo rep, who owns most of the demo org's deals (``plugin/crm/demo_org/users.json``).
DEMO_USER_ID = "0055e00000DEMOLAA5"
DEMO_NAMES = {
    Role.REP: "Demo rep", Role.MANAGER: "Demo manager", Role.ENABLEMENT: "Demo enablement lead",
    Role.ADMIN: "Demo admin",
}


@dataclass(frozen=True)
class DemoIdentity:
    """Someone the demo can be viewed as: a role, and the demo org's user behind it."""

    key: str
    label: str
    role: Role
    user_id: str
    #: The demo org user's name ("Dana Whitfield"), shown beside the label.
    person: str


#: Who the demo picker offers, in its order. The keys of the first three are their roles' values,
#: as the picker stored before partner reps and managers were offered.
DEMO_IDENTITIES = {i.key: i for i in (
    DemoIdentity("rep", "Demo rep", Role.REP, DEMO_USER_ID, "Sam Carter"),
    DemoIdentity("partner_rep", "Demo partner rep", Role.REP, "0055e00000JAMIOAA5", "Jamie Ortiz"),
    DemoIdentity("manager", "Demo manager", Role.MANAGER, "0055e00000DANAWAA5", "Dana Whitfield"),
    DemoIdentity("channel_manager", "Demo channel manager", Role.MANAGER, "0055e00000MARCBAA5",
                 "Marcus Bell"),
    DemoIdentity("enablement", "Demo enablement lead", Role.ENABLEMENT, DEMO_USER_ID, "Sam Carter"),
    DemoIdentity("admin", "Demo admin", Role.ADMIN, DEMO_USER_ID, "Sam Carter"),
)}
DEFAULT_DEMO_IDENTITY = "enablement"
#: Where the demo picker keeps the chosen identity's key: Flask's signed session cookie.
DEMO_ROLE_KEY = "demo_role"


def current_user() -> User:
    """The person making this request, or :class:`Unauthorised`. Worked out once per request."""
    if "_current_user" not in g:
        g._current_user = _find_user()
    return g._current_user


def _find_user() -> User:
    svc = services()
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        if not looks_like_api_token(token):
            raise Unauthorised("The panel's app token opens the panel only; it signs nobody in.",
                               reason="app_token_not_a_user")
        found = api_tokens().authenticate(token)
        if found is None or not org_is_served(found.org_id):
            raise Unauthorised("This API token is unknown, revoked or expired.",
                               reason="invalid_api_token")
        return found.as_user()
    signed_in = user_sessions().find(request.cookies.get(session_cookie_name()))
    if signed_in is not None and org_is_served(signed_in.user.org_id):
        return signed_in.user
    if svc.demo_org is not None:
        return demo_user()
    raise Unauthorised("Sign in with Salesforce to use the Be Inspired workspace.")


def requires(*roles: Role):
    """View decorator: the signed-in user must hold one of ``roles``."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user.role not in roles:
                raise Forbidden("Your role may not do this.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def canvas_user(canvas: CanvasRequest) -> User:
    """The person a verified Canvas signed request names, with their role from the org's user and
    profile mappings. Permission sets are not in the signed request and are not looked up here
    (an API call per panel view); a permission-set mapping applies at sign-in with Salesforce."""
    with services().sessions() as db:
        role = RoleMappings(db, canvas.org_id).resolve(canvas.user_id, canvas.profile_id)
    return User(canvas.org_id, canvas.user_id, canvas.full_name or canvas.user_name, role)


# -- the stores, built from the settings ---------------------------------------------------------
def user_sessions() -> UserSessions:
    settings = services().settings
    return UserSessions(services().sessions, max_seconds=settings.session_max_seconds,
                        idle_seconds=settings.session_idle_seconds)


def api_tokens() -> ApiTokens:
    return ApiTokens(services().sessions)


def role_admin(org_id: str) -> RoleAdmin:
    return RoleAdmin(services().sessions, user_sessions(), org_id)


def org_is_served(org_id: str) -> bool:
    """The org is configured (or is the demo org in demo mode): removing an org shuts out its
    sessions and tokens at once."""
    svc = services()
    if svc.demo_org is not None and svc.demo_org.org_id == org_id:
        return True
    return org_id in svc.orgs.current().orgs


# -- the session cookie --------------------------------------------------------------------------
def cookie_is_secure() -> bool:
    """Secure everywhere but the demo on this machine (plain http://localhost)."""
    settings = services().settings
    return not (settings.demo_mode and is_loopback(settings.host))


def session_cookie_name() -> str:
    # "__Host-": the browser accepts it only Secure, for this host alone, on every path.
    return "__Host-bi_session" if cookie_is_secure() else "bi_session"


# -- demo mode -----------------------------------------------------------------------------------
def demo_picker_allowed() -> bool:
    """Demo mode, served on loopback only, asked from this machine: the client's address as
    :mod:`plugin.web.proxy_trust` decided it, and no relay by a proxy nobody configured (which
    would make every visitor look local)."""
    svc = services()
    return (
        svc.demo_org is not None
        and is_loopback(svc.settings.host)
        and is_loopback(request.remote_addr)
        and not relayed_by_an_unknown_proxy()
    )


def demo_identity() -> DemoIdentity:
    """The picked demo identity where picking is allowed, else the enablement lead everyone
    was before the picker existed."""
    key = session.get(DEMO_ROLE_KEY) if demo_picker_allowed() else None
    return DEMO_IDENTITIES.get(key if isinstance(key, str) else "",
                               DEMO_IDENTITIES[DEFAULT_DEMO_IDENTITY])


def demo_user() -> User:
    """The demo org's person, as :func:`demo_identity` picks: its role and its user's Id."""
    picked = demo_identity()
    return User(services().demo_org.org_id, picked.user_id, picked.label, picked.role)


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


__all__ = [
    "DEMO_IDENTITIES", "DEMO_USER_ID", "DemoIdentity", "Role", "User", "canvas_user",
    "current_user", "demo_identity", "demo_picker_allowed",
    "requires", "session_cookie_name",
]  # fmt: skip
