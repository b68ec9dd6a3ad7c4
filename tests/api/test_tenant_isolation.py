"""Tenant isolation, as a property: whatever an admin or enablement lead of Acme asks of the API,
with whatever ids (Globex's among them), nothing of Globex is ever returned or changed, and
Globex's objects answer 404, exactly like objects that do not exist.

Two orgs hold data of every kind the service keeps per org: content modules with versions and an
audit trail, connection settings with secrets and a stage mapping, unknown CRM values, connection
events and API usage, role mappings and API tokens. Hypothesis draws sequences of calls; before
and after each sequence every Globex row in every table is compared.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from content_catalog.database import session_factory
from content_catalog.editing import ModuleEditor
from content_catalog.tables.base import Base
from content_catalog.tables.catalog_tables import ModuleRow, ModuleTagRow
from content_catalog.modules import parse_module
from content_catalog.org_activity import OrgActivityRepository
from content_catalog.repository import CatalogRepository
from content_catalog.taxonomy import DealSizeBands, JourneyPhase, default_taxonomy
from plugin.orgs.connections import ConfiguredOrg, OrgConnections, SecretBox
from plugin.orgs.mapping import OrgMapping
from plugin.access.role_mappings import Role, RoleMappings, RoleMapping, SubjectKind
from plugin.crm.salesforce.config import OrgConnection
from tests.api.editor_fixtures import module_payload
from tests.plugin.access.access_fixtures import api_token, bearer, make_app
from tests.plugin.crm.salesforce.sf_fakes import CANVAS_SECRET, INSTANCE, ORG_ID

ACME = ORG_ID
GLOBEX = "00D5e000007GlbXEAS"
#: Words only Globex's data contains; none may ever appear in an answer to Acme.
GLOBEX_SECRET = "globex-canvas-secret-do-not-leak-41"
GLOBEX_MARKERS = (
    "Globex Corporation", "globex-hq.my.salesforce.com", GLOBEX_SECRET, "Orbital Mining", "Quantum Proposal",
    "Zeppelin Stage", "Hovercraft Industry", "globex event: relay failure", "Globex secret plan",
    "globex-author@globex.example", "globex nightly import",
)
GLOBEX_MODULES = ("globex-orbital", "globex-plan")
ACME_MODULES = ("acme-audit", "acme-renewal")
ORG_IDS = st.sampled_from([ACME, ACME[:15], GLOBEX, GLOBEX[:15], "00D5e000009NoNEEA0", "nonsense"])
MODULE_IDS = st.sampled_from([*GLOBEX_MODULES, *ACME_MODULES, "nobody-has-this"])


def globex_org() -> ConfiguredOrg:
    return ConfiguredOrg(
        "Globex Corporation",
        OrgConnection(GLOBEX, "https://globex-hq.my.salesforce.com", canvas_secret=GLOBEX_SECRET,
                      challenge_field="Orbital_Mining__c"),
        extra_frame_ancestors=("https://globex-hq.my.salesforce.com",),
        mapping=OrgMapping(stage_phases=(("Zeppelin Stage", JourneyPhase.BUYING),),
                           deal_size_bands=DealSizeBands(1_000, 2_000)),
    )


def acme_org() -> ConfiguredOrg:
    return ConfiguredOrg("Acme Corp", OrgConnection(ACME, INSTANCE, canvas_secret=CANVAS_SECRET))


def seed(app) -> None:
    svc = app.extensions["be_inspired"]
    store = OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))
    store.save(globex_org())
    taxonomy = default_taxonomy()
    now = datetime.now(timezone.utc)
    with svc.sessions.begin() as session:
        globex_editor = ModuleEditor(session, GLOBEX, "globex-author@globex.example")
        globex_editor.create(parse_module(module_payload(GLOBEX_MODULES[0], title="Orbital Mining case", status="published"), taxonomy))
        globex_editor.create(parse_module(module_payload(GLOBEX_MODULES[1], title="Globex secret plan",
                                                         summary="Quantum Proposal"), taxonomy))
        acme_editor = ModuleEditor(session, ACME, "acme-author@acme.example")
        for key in ACME_MODULES:
            acme_editor.create(parse_module(module_payload(key, status="published"), taxonomy))
        CatalogRepository(session, GLOBEX).record_unknown_values({"industry": ("Hovercraft Industry",)})
        CatalogRepository(session, ACME).record_unknown_values({"industry": ("Acme Industry",)})
        OrgActivityRepository(session, GLOBEX).add_event("unavailable", "globex event: relay failure", now)
        OrgActivityRepository(session, GLOBEX).set_usage(77, 5000)
        RoleMappings(session, GLOBEX).put(RoleMapping(SubjectKind.PROFILE, "00e5e000000GlBxAAC", Role.ADMIN))
    api_token(app, Role.ADMIN, org_id=GLOBEX, name="globex nightly import")


def globex_rows(app) -> dict[str, list[tuple]]:
    """Every row of Globex's, per table (module tags through their modules)."""
    engine = app.extensions["be_inspired"].engine
    rows: dict[str, list[tuple]] = {}
    with session_factory(engine)() as session:
        for table in Base.metadata.sorted_tables:
            if "org_id" in table.c:
                query = select(table).where(table.c.org_id == GLOBEX)
            elif table.name == ModuleTagRow.__tablename__:
                pks = select(ModuleRow.pk).where(ModuleRow.org_id == GLOBEX)
                query = select(table).where(table.c.module_pk.in_(pks))
            else:
                continue
            rows[table.name] = sorted(map(tuple, session.execute(query)), key=repr)
    return rows


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    body: Any = None
    if_match: bool = False
    #: The roles the route is for; for anyone else it answers 403 whatever the ids.
    roles: tuple[Role, ...] = (Role.ADMIN,)
    #: The call names one of Globex's objects.
    globex: bool = False


WORKSPACE = (Role.ENABLEMENT, Role.ADMIN)


@st.composite
def calls(draw) -> Call:
    org = draw(ORG_IDS)
    module = draw(MODULE_IDS)
    on_org = org.startswith(GLOBEX[:15])
    on_module = module in GLOBEX_MODULES
    admin = f"/api/v1/admin/orgs/{org}"
    choices = [
        Call("GET", "/api/v1/admin/orgs"),
        Call("POST", "/api/v1/admin/orgs", {"org_id": org, "name": "Hijack", "auth_mode": "canvas",
                                            "instance_url": "https://hijack.my.salesforce.com", "canvas_secret": "x" * 20}),
        Call("GET", admin, globex=on_org),
        Call("PATCH", admin, {"name": "Renamed", "timeout": 5}, globex=on_org),
        Call("DELETE", admin, globex=on_org),
        Call("POST", f"{admin}/test", globex=on_org),
        Call("GET", f"{admin}/status", globex=on_org),
        Call("GET", f"{admin}/fields", globex=on_org),
        Call("PUT", f"{admin}/fields", {"challenge_field": "Pain__c"}, globex=on_org),
        Call("GET", f"{admin}/stages", globex=on_org),
        Call("PUT", f"{admin}/stages", {"stage_phases": {"Acme Pilot": "awareness"}}, globex=on_org),
        Call("GET", f"{admin}/frame-ancestors", globex=on_org),
        Call("PUT", f"{admin}/frame-ancestors", {"extra": ["https://elsewhere.example"]}, globex=on_org),
        Call("GET", "/api/v1/modules", roles=WORKSPACE),
        Call("GET", f"/api/v1/modules/{module}", roles=WORKSPACE, globex=on_module),
        Call("GET", f"/api/v1/modules/{module}/versions", roles=WORKSPACE, globex=on_module),
        Call("GET", f"/api/v1/modules/{module}/versions/1", roles=WORKSPACE, globex=on_module),
        Call("GET", f"/api/v1/modules/{module}/diff", roles=WORKSPACE, globex=on_module),
        Call("PUT", f"/api/v1/modules/{module}", module_payload(module, title="Overwritten"), if_match=True,
             roles=WORKSPACE, globex=on_module),
        Call("POST", f"/api/v1/modules/{module}/status", {"status": "retired"}, if_match=True, roles=WORKSPACE,
             globex=on_module),
        Call("POST", f"/api/v1/modules/{module}/versions/1/restore", if_match=True, roles=WORKSPACE, globex=on_module),
        Call("GET", "/api/v1/audit", roles=WORKSPACE),
        Call("GET", "/api/v1/coverage", roles=WORKSPACE),
        Call("GET", "/api/v1/tokens"),
        Call("GET", "/api/v1/role-mappings"),
        Call("PUT", "/api/v1/role-mappings/profile/00e5e000000GlBxAAC", {"role": "rep"}),
    ]
    return draw(st.sampled_from(choices))


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("isolation") / "isolation.sqlite3")
    seed(app)
    yield app
    app.extensions["be_inspired"].engine.dispose()


@pytest.fixture(scope="module")
def before(app):
    return globex_rows(app)


def restore_acme(app) -> None:
    """A drawn DELETE may have removed Acme's connection; without it Acme's tokens stop working."""
    svc = app.extensions["be_inspired"]
    store = OrgConnections(svc.sessions, SecretBox(svc.settings.encryption_key_list))
    current = store.get(ACME)
    store.save(acme_org() if current is None else replace(current, name="Acme Corp"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from([Role.ADMIN, Role.ENABLEMENT]), sequence=st.lists(calls(), min_size=1, max_size=8))
def test_nothing_of_another_org_is_ever_returned_or_changed(app, before, role, sequence):
    restore_acme(app)
    token = api_token(app, role, org_id=ACME, name=f"acme {role.value}")
    client = app.test_client()
    for call in sequence:
        headers = {**bearer(token), **({"If-Match": '"1"'} if call.if_match else {})}
        response = client.open(call.url, method=call.method, headers=headers,
                               json=call.body if call.body is not None else None)
        shown = response.get_data(as_text=True)
        leaked = [marker for marker in GLOBEX_MARKERS if marker.casefold() in shown.casefold()]
        assert not leaked, f"{call.method} {call.url} as {role.value} showed {leaked}"
        if role not in call.roles:
            assert response.status_code == 403, f"{call.method} {call.url}: {response.status_code}"
        elif call.globex:
            assert response.status_code == 404, f"{call.method} {call.url}: {response.status_code} {shown[:200]}"
        assert response.status_code < 500, shown[:300]
        restore_acme(app)
    assert globex_rows(app) == before
