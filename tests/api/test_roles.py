"""Every route of the app, tried as nobody, a rep, an enablement lead and an admin.

The table below says what each role gets from each route. ``OK`` means "let through": the
answer is neither 401 nor 403 (it may still be 400 or 404 for the made-up request). A route that
is not in the table fails the test, so every new route must be added here, with a decision about
who may use it. Routes under :data:`ADMIN_PREFIXES` (the admin console) need no row of their own:
the rule is that they all are for admins only.

Everyone here arrives with a session cookie, as a browser signed in with Salesforce does, and
every write carries a valid CSRF token, so the answers are about roles and nothing else. The
orgs are configured again after each request, since an admin's request may remove one.
"""
from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf

from plugin.access.role_mappings import Role
from tests.plugin.access.access_fixtures import configure_orgs, make_app, person, signed_in
from tests.plugin.crm.salesforce.sf_fakes import OPPORTUNITY_ID, ORG_ID, VIEWER_ID

OK = "let through"
PEOPLE = ("anonymous", Role.REP, Role.ENABLEMENT, Role.ADMIN)

OPEN = (OK, OK, OK, OK)                 # anyone, signed in or not
WORKSPACE = (401, 403, OK, OK)          # enablement leads and admins
ADMIN_ONLY = (401, 403, 403, OK)
PANEL = (401, 401, 401, 401)            # the panel's app token (or demo mode), never a session
PANEL_OR_WORKSPACE = (401, 401, OK, OK)  # a published module for the panel; any for the workspace

EXPECTED: dict[tuple[str, str], tuple] = {
    ("index", "GET"): OPEN,
    ("operations.health", "GET"): OPEN,
    ("operations.ready", "GET"): OPEN,              # load balancers and probes ask it
    ("operations.metrics_page", "GET"): (404, 404, 404, 404),  # only Prometheus, with its token
    ("static", "GET"): OPEN,
    ("api.openapi", "GET"): OPEN,
    ("api.taxonomy", "GET"): OPEN,
    ("api.context_recommendations", "POST"): PANEL,  # any CRM, with the app token (open in demo mode)
    ("events_api.record_events", "POST"): PANEL,  # the panel's events, with the app token (open in demo mode)
    ("canvas.entry", "POST"): OPEN,                 # the signed request is the proof
    ("auth.login", "GET"): OPEN,
    ("auth.callback", "GET"): OPEN,
    ("auth.logout", "POST"): OPEN,
    ("api.opportunity_recommendations", "GET"): PANEL,
    ("panel.suggestions", "GET"): PANEL,
    ("panel.search", "GET"): PANEL,
    ("api.opportunity_search", "GET"): PANEL,
    ("panel.open_module", "GET"): PANEL,
    ("personalise.personalised", "GET"): PANEL,
    ("personalise.personalised_markdown", "GET"): PANEL,
    ("personalise.personalised_docx", "GET"): PANEL,
    ("personalise.edited_docx", "POST"): PANEL,
    ("personalise.personalised_pdf", "GET"): PANEL,
    ("personalise.edited_pdf", "POST"): PANEL,
    ("personalise.edited_preview", "POST"): PANEL,
    ("modules_api.module", "GET"): PANEL_OR_WORKSPACE,
    ("modules_api.search_modules", "GET"): WORKSPACE,
    ("modules_api.create_module", "POST"): WORKSPACE,
    ("modules_api.update_module", "PUT"): WORKSPACE,
    ("modules_api.set_module_status", "POST"): WORKSPACE,
    ("modules_api.module_versions", "GET"): WORKSPACE,
    ("modules_api.module_version", "GET"): WORKSPACE,
    ("modules_api.module_diff", "GET"): WORKSPACE,
    ("modules_api.restore_module_version", "POST"): WORKSPACE,
    ("modules_api.preview_body", "POST"): WORKSPACE,
    ("modules_api.audit_log", "GET"): WORKSPACE,
    ("coverage_api.coverage", "GET"): WORKSPACE,
    ("analytics_api.modules", "GET"): WORKSPACE,
    ("analytics_api.module", "GET"): WORKSPACE,
    ("access_api.list_tokens", "GET"): ADMIN_ONLY,
    ("access_api.create_token", "POST"): ADMIN_ONLY,
    ("access_api.revoke_token", "POST"): ADMIN_ONLY,
    ("manager_picks_api.dismiss", "POST"): PANEL,
    ("refreshers_api.dismiss_refresher", "POST"): PANEL,
    ("loss_review_api.get_loss_review", "GET"): PANEL,
    ("loss_review_api.post_loss_review", "POST"): PANEL,
    ("panel.save_loss_review", "POST"): PANEL,
    ("access_api.list_role_mappings", "GET"): ADMIN_ONLY,
    ("access_api.put_role_mapping", "PUT"): ADMIN_ONLY,
    ("access_api.delete_role_mapping", "DELETE"): ADMIN_ONLY,
    **{(f"workspace.{name}", method): WORKSPACE for name, method in [
        ("home", "GET"), ("audit_list", "GET"), ("coverage_map", "GET"), ("preview_page", "GET"),
        ("import_page", "GET"), ("import_upload", "POST"), ("import_confirm", "POST"),
        ("import_cancel", "POST"), ("import_export", "GET"), ("modules_list", "GET"),
        ("modules_create", "POST"), ("modules_new", "GET"), ("modules_view", "GET"),
        ("modules_diff", "GET"), ("modules_edit", "GET"), ("modules_update", "POST"),
        ("modules_history", "GET"), ("modules_status", "POST"), ("modules_version", "GET"),
        ("modules_restore", "POST"), ("analytics_overview", "GET"), ("analytics_module", "GET"),
        ("coaching_view", "GET"), ("coaching_recommend_form", "GET"),
        ("coaching_recommend", "POST"),
        ("indicators_overview", "GET"), ("indicators_deals", "GET"),
        ("coverage_loss_reasons", "GET"), ("analytics_losses", "GET"),
    ]},
}
#: The admin console (plugin/web/admin*): whatever it serves there is for admins only.
ADMIN_PREFIXES = ("/admin", "/api/v1/admin")
#: Served in demo mode only; the production app must not have them.
DEMO_ONLY = {"demo.record_page", "demo.opportunity_page", "demo_identity.picker", "demo_identity.pick"}
#: A value for each URL variable, so every route can be called.
SAMPLE = {
    "opportunity_id": OPPORTUNITY_ID, "module_id": "some-module", "version": 1, "token_id": 1,
    "subject_kind": "user", "subject_id": VIEWER_ID, "org_id": ORG_ID, "token": "t" * 32,
    "fmt": "csv", "filename": "be-inspired.css", "module_key": "some-module",
    "recommendation_id": 1,
}
CSRF_ROUTE = "_test_csrf_token"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("roles") / "roles.sqlite3")
    app.add_url_rule("/_test/csrf", CSRF_ROUTE, lambda: {"token": generate_csrf()})
    yield app
    app.extensions["be_inspired"].engine.dispose()


def expected(rule) -> tuple | None:
    if any(rule.rule == p or rule.rule.startswith(p + "/") for p in ADMIN_PREFIXES):
        return ADMIN_ONLY
    return None


def routes(app, *, tabled_only: bool = False):
    """Every (rule, method); signing out comes last, or everything after it would be anonymous.
    ``tabled_only`` leaves out routes with no row (the first test names those)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout"):
        if rule.endpoint == CSRF_ROUTE:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if not tabled_only or expectation(rule, method) is not None:
                yield rule, method


def expectation(rule, method) -> tuple | None:
    return EXPECTED.get((rule.endpoint, method)) or expected(rule)


def test_every_route_is_in_the_table(app):
    missing = sorted(f"{method} {rule.rule} ({rule.endpoint})" for rule, method in routes(app)
                     if expectation(rule, method) is None)
    assert not missing, "add these routes to EXPECTED in tests/api/test_roles.py:\n" + "\n".join(missing)
    served = {(rule.endpoint, method) for rule, method in routes(app)}
    assert not {endpoint for endpoint, _ in served} & DEMO_ONLY


def test_every_workspace_and_api_route_requires_someone(app):
    """The parts of the app that hold an org's data are never open to anonymous callers."""
    open_by_mistake = [
        f"{method} {rule.rule}" for rule, method in routes(app, tabled_only=True)
        if rule.rule.startswith(("/workspace", "/api/v1/modules", "/api/v1/audit", "/api/v1/tokens",
                                 "/api/v1/role-mappings", "/api/v1/coverage", "/api/v1/analytics",
                                 "/admin", "/api/v1/admin"))
        and expectation(rule, method)[0] == OK
    ]
    assert not open_by_mistake


def client_for(app, who):
    if who == "anonymous":
        client = app.test_client()
    else:
        client = signed_in(app, person(who)).client
    token = client.get("/_test/csrf").get_json()["token"]
    return client, token


@pytest.mark.parametrize("who", PEOPLE, ids=lambda p: str(p))
def test_each_role_gets_what_the_table_says_from_every_route(app, who):
    client, csrf = client_for(app, who)
    column = PEOPLE.index(who)
    wrong = []
    for rule, method in routes(app, tabled_only=True):
        want = expectation(rule, method)[column]
        url = rule.build({k: SAMPLE[k] for k in rule.arguments}, append_unknown=False)[1]
        response = client.open(url, method=method, headers={"X-CSRFToken": csrf}, json={},
                               query_string={"opportunity": OPPORTUNITY_ID})
        got = response.status_code
        configure_orgs(app)  # an admin may just have removed or changed the org they act in
        if (want == OK and got in (401, 403)) or (want != OK and got != want):
            wrong.append(f"{method} {url}: {got}, expected {want}")
    assert not wrong, f"{who}:\n" + "\n".join(wrong)
