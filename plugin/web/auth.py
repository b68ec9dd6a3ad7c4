"""``/auth``: sign in with Salesforce, and sign out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for

from plugin.errors import InvalidInput, NotFound
from plugin.web.identity import cookie_is_secure, session_cookie_name, user_sessions
from plugin.orgs.connections import ConfiguredOrg
from plugin.access.role_mappings import RoleMappings, User
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.crm.salesforce.sign_in import (
    PendingSignIn,
    SignInError,
    SignInStateMismatch,
    begin,
    finish,
    role_facts,
    sign_in_app,
)
from plugin.web.app_services import services

blueprint = Blueprint("auth", __name__, url_prefix="/auth")

PENDING_KEY = "sign_in"
DEFAULT_NEXT = "/workspace/"


@blueprint.get("/login")
def login():
    org = _configured_org(request.args.get("org"))
    app = sign_in_app(org.connection, org.consumer_key)
    url, pending = begin(org.connection, app, callback_url(), safe_next(request.args.get("next")))
    session[PENDING_KEY] = pending.as_dict()
    return redirect(url, 302)


@blueprint.get("/callback")
def callback():
    pending = PendingSignIn.from_dict(session.pop(PENDING_KEY, None))  # one use, whatever happens
    org = services().orgs.current().orgs.get(pending.org_id) if pending else None
    if pending is None or org is None:
        raise SignInStateMismatch(
            "This sign-in was not started here, or has been used. Sign in again.")
    app = sign_in_app(org.connection, org.consumer_key)
    identity = finish(org.connection, app, pending, request.args)
    facts = role_facts(org.connection, identity)
    with services().sessions() as db:
        role = RoleMappings(db, identity.org_id).resolve(
            identity.user_id, facts.profile_id, facts.permission_set_ids)
    token = user_sessions().start(User(identity.org_id, identity.user_id, identity.name, role))
    session.pop("csrf_token", None)  # a new person gets a new CSRF token
    response = redirect(pending.next_path, 303)
    response.set_cookie(
        session_cookie_name(), token, max_age=services().settings.session_max_seconds,
        secure=cookie_is_secure(), httponly=True, samesite="Lax", path="/",
    )  # fmt: skip
    return response


@blueprint.post("/logout")
def logout():
    name = session_cookie_name()
    user_sessions().end(request.cookies.get(name))
    session.clear()
    response = make_response(render_template("auth/signed_out.html"))
    response.delete_cookie(name, path="/", secure=cookie_is_secure(), httponly=True, samesite="Lax")
    return response


@blueprint.errorhandler(SignInError)
def sign_in_error(exc: SignInError):
    page = render_template("error.html", status=exc.http_status, message=exc.reason)
    return page, exc.http_status


def _configured_org(value: str | None) -> ConfiguredOrg:
    try:
        org_id = to_18(value, prefix="00D")
    except InvalidSalesforceId:
        raise InvalidInput("Open the sign-in link your admin gave you: "
                           "/auth/login?org=<your org Id, 00D…>.") from None
    org = services().orgs.current().orgs.get(org_id)
    if org is None:
        raise NotFound("This Salesforce org is not served here.")
    return org


def callback_url() -> str:
    """The redirect URI registered on the connected app: from ``BEINSPIRED_PUBLIC_URL`` when set
    (a proxy in front may rewrite the host), else from the request."""
    public_url = services().settings.public_url
    if public_url:
        return public_url.rstrip("/") + url_for("auth.callback")
    return url_for("auth.callback", _external=True)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return DEFAULT_NEXT
    return value[:500]
