"""Admin page mapping partner accounts to regions (``/admin/regions``), so a channel manager's
coaching view finds the partner reps of their region."""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for

from content_catalog.modules import FieldError
from content_catalog.people_store import REGION_NAME_MAX, PeopleStore, RegionMapping
from plugin.crm.salesforce.ids import InvalidSalesforceId, to_18
from plugin.deals.people import OrgPeople
from plugin.web.admin import NAVIGATION, NavItem, blueprint
from plugin.web.app_services import services
from plugin.web.identity import Role, requires

NAVIGATION.append(NavItem("admin.regions_list", "Regions", "regions"))
PARTNER_ACCOUNT = "partner_account"
#: Letters, digits, spaces and common punctuation; no control characters, no markup.
_REGION = re.compile(r"[\w .,&()'/-]+")


@blueprint.get("/regions")
@requires(Role.ADMIN)
def regions_list():
    return _render()


@blueprint.post("/regions")
@requires(Role.ADMIN)
def regions_save():
    """Map one partner account to a region; an empty region removes the mapping."""
    account, region = request.form.get("account_id", ""), request.form.get("region", "")
    accounts = _partner_accounts()
    try:
        account = to_18(account.strip(), prefix="001")
    except InvalidSalesforceId:
        account = None
    if account is None or account not in accounts:
        return _render([FieldError("account_id", "is not a partner account of this org's "
                                   "synced partner users", request.form.get("account_id", "")[:40])]), 400
    region = " ".join(region.split())
    if region and (len(region) > REGION_NAME_MAX or not _REGION.fullmatch(region)):
        return _render([FieldError("region", f"must be 1 to {REGION_NAME_MAX} letters, digits, "
                                   "spaces or . , & ( ) ' / -", region[:40])]), 400
    with services().sessions.begin() as session:
        store = PeopleStore(session, g.user.org_id)
        if region:
            store.put_region(RegionMapping(PARTNER_ACCOUNT, account, region))
        else:
            store.remove_region(PARTNER_ACCOUNT, account)
    flash(f"{accounts[account]}: " + (f"mapped to {region}." if region else "mapping removed; "
          "its region follows its partner users' role again."), "success")
    return redirect(url_for("admin.regions_list"))


def _partner_accounts() -> dict[str, str]:
    """Partner account Id → name, from the org's synced partner users."""
    with services().sessions() as session:
        users = PeopleStore(session, g.user.org_id).users()
    return {u.partner_account_id: u.partner_account_name or u.partner_account_id
            for u in users if u.partner_account_id}


def _render(errors: list[FieldError] = ()):
    with services().sessions() as session:
        store = PeopleStore(session, g.user.org_id)
        users, mappings = store.users(), store.region_mappings()
        roles = store.roles()
    people = OrgPeople.build(users, roles, mappings)
    mapped = {m.key: m.region for m in mappings if m.kind == PARTNER_ACCOUNT}
    accounts = {}
    for user in users:
        if user.partner_account_id:
            row = accounts.setdefault(user.partner_account_id, {
                "id": user.partner_account_id,
                "name": user.partner_account_name or user.partner_account_id,
                "mapped": mapped.get(user.partner_account_id), "region": people.region(user.user_id),
                "reps": []})
            row["reps"].append(user.name)
    return render_template("admin/regions.html", accounts=sorted(accounts.values(),
                           key=lambda a: a["name"].casefold()), errors=list(errors),
                           regions=people.regions(), region_max=REGION_NAME_MAX)
