"""Which org (and so which opportunity source) a request is for."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import request

from plugin.errors import Forbidden, Unauthorised
from plugin.web.identity import demo_identity
from plugin.crm.sources import OpportunitySource
from plugin.access.panel_tokens import AppToken, AppTokenError, AppTokenMismatch, bearer_token
from plugin.crm.salesforce.connector import OrgNotConfigured
from plugin.web.app_services import services
from plugin.panel.partner_viewers import is_partner_user_type


@dataclass(frozen=True)
class RequestOrg:
    org_id: str
    source: OpportunitySource
    token: AppToken | None = None

    @property
    def viewer(self) -> str | None:
        """The user the panel is shown to: the app token's, or the picked demo user."""
        return self.token.user_id if self.token is not None else demo_identity().user_id

    @property
    def partner(self) -> bool:
        """The viewer is a partner user (the token says so, from the signed request's
        ``userType``; in the demo, the picked user's ``UserType``): partner content only."""
        if self.token is not None:
            return self.token.partner
        return demo_partner(demo_identity().user_id)


def demo_partner(user_id: str) -> bool:
    demo = services().demo_org
    return demo is not None and user_id in _demo_partners(demo.org_id)


@functools.cache
def _demo_partners(org_id: str) -> frozenset[str]:
    """The bundled demo org's partner users, read once per process (its users never change)."""
    return frozenset(u.get("Id") for u in services().demo_org.user_records()
                     if is_partner_user_type(u.get("UserType")))


def current_org(*, record_id: str | None = None) -> RequestOrg:
    """The request's org; with ``record_id``, a token must have been issued for that record."""
    svc = services()
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        try:
            claims = svc.app_tokens.verify(token, record_id=record_id)
            source = svc.orgs.current().connector.source(
                claims.org_id, viewer=claims.user_id,
                opened_without_data=claims.opened_without_data)
        except AppTokenMismatch as exc:
            raise Forbidden(exc.reason) from None
        except AppTokenError as exc:
            raise Unauthorised(exc.reason, reason="invalid_token") from None
        except OrgNotConfigured:
            raise Unauthorised("This org is no longer configured.") from None
        return RequestOrg(claims.org_id, source, claims)
    if svc.demo_org is not None:
        return RequestOrg(svc.demo_org.org_id, svc.demo_org)
    raise Unauthorised("Open Be Inspired from Salesforce (a signed request), or send its app token.")


def current_source() -> OpportunitySource:
    return current_org().source
