"""The Salesforce DX project an admin deploys (plugin/salesforce_package) and its configure script.

No org is reachable from the tests, so they check what can be checked offline: every file is
well-formed, metadata files are in the Metadata API namespace with elements in the order
Salesforce writes them, the pieces name each other consistently (component -> Canvas app ->
permission set -> Visualforce page), and configure.py fills every placeholder, refuses hostile
hosts and never writes to the sources.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
PACKAGE = ROOT / "plugin" / "salesforce_package"
DEFAULT = PACKAGE / "force-app" / "main" / "default"
CONFIGURE = PACKAGE / "configure.py"
MD = "{http://soap.sforce.com/2006/04/metadata}"

CONNECTED_APP = DEFAULT / "connectedApps" / "Be_Inspired.connectedApp-meta.xml"
CSP_SITE = DEFAULT / "cspTrustedSites" / "Be_Inspired.cspTrustedSite-meta.xml"
PERMSET = DEFAULT / "permissionsets" / "Be_Inspired_User.permissionset-meta.xml"
BUNDLE = DEFAULT / "aura" / "BeInspiredPanel"
CMP = BUNDLE / "BeInspiredPanel.cmp"
DESIGN = BUNDLE / "BeInspiredPanel.design"
CONTROLLER = BUNDLE / "BeInspiredPanelController.js"
VF_PAGE = DEFAULT / "pages" / "BeInspiredClassicPanel.page"

#: Aura and Visualforce markup uses namespace prefixes it never declares; these stand in for them.
MARKUP_PREFIXES = ("aura", "force", "design", "sfdc", "apex", "flexipage", "lightning", "ui")
MARKUP_NS = "urn:markup:"

HOST = "be-inspired.example.com"
EMAIL = "salesforce-admin@example.com"


def metadata_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*-meta.xml"))


def parse_metadata(path: Path) -> ElementTree.Element:
    return ElementTree.parse(path).getroot()


def parse_markup(path: Path) -> ElementTree.Element:
    """A .cmp/.design/.page file as XML, its undeclared prefixes bound to stand-in namespaces."""
    declarations = " ".join(f'xmlns:{p}="{MARKUP_NS}{p}"' for p in MARKUP_PREFIXES)
    wrapped = f"<markup {declarations}>{path.read_text(encoding='utf-8')}</markup>"
    root = ElementTree.fromstring(wrapped)
    (element,) = list(root)
    return element


def tag(prefix: str, name: str) -> str:
    return f"{{{MARKUP_NS}{prefix}}}{name}"


def md_texts(root: ElementTree.Element, *names: str) -> list[str]:
    """Texts of the elements at ``names`` (a path of metadata element names) under ``root``."""
    return [(e.text or "").strip() for e in root.findall("/".join(MD + n for n in names))]


def md_text(root: ElementTree.Element, *names: str) -> str:
    (value,) = md_texts(root, *names)
    return value


def load_configure():
    spec = importlib.util.spec_from_file_location("be_inspired_sf_configure", CONFIGURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    }


def run_configure(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CONFIGURE), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


# --- The project --------------------------------------------------------------------------------


def test_sfdx_project_json_is_valid_and_its_package_directory_exists():
    project = json.loads((PACKAGE / "sfdx-project.json").read_text(encoding="utf-8"))
    directories = project["packageDirectories"]
    assert [d["path"] for d in directories if d.get("default")] == ["force-app"]
    for directory in directories:
        assert (PACKAGE / directory["path"]).is_dir()
    major, minor = project["sourceApiVersion"].split(".")
    assert (int(major), minor) >= (59, "0")


def test_forceignore_and_readme_exist():
    assert (PACKAGE / ".forceignore").is_file()
    readme = (PACKAGE / "README.md").read_text(encoding="utf-8")
    assert "docs/admin-guide.md" in readme


def test_the_package_holds_the_expected_components():
    assert {p.relative_to(DEFAULT).as_posix() for p in metadata_files()} == {
        "aura/BeInspiredPanel/BeInspiredPanel.cmp-meta.xml",
        "pages/BeInspiredClassicPanel.page-meta.xml",
        "connectedApps/Be_Inspired.connectedApp-meta.xml",
        "cspTrustedSites/Be_Inspired.cspTrustedSite-meta.xml",
        "permissionsets/Be_Inspired_User.permissionset-meta.xml",
    }


@pytest.mark.parametrize("path", metadata_files(), ids=lambda p: p.name)
def test_metadata_file_is_well_formed_in_the_metadata_namespace(path):
    root = parse_metadata(path)
    assert root.tag.startswith(MD), f"{path.name}: root {root.tag} is not in the Metadata namespace"
    for element in root.iter():
        assert element.tag.startswith(MD), f"{path.name}: {element.tag} outside the namespace"
    assert path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.parametrize("path", metadata_files(), ids=lambda p: p.name)
def test_metadata_elements_are_in_the_order_salesforce_writes_them(path):
    """Salesforce's schema sequences (and retrieved files) list child elements alphabetically."""
    for element in parse_metadata(path).iter():
        names = [child.tag.removeprefix(MD) for child in element]
        parent = element.tag.removeprefix(MD)
        assert names == sorted(names), f"{path.name}: <{parent}> children {names}"


@pytest.mark.parametrize("path", [CMP, DESIGN, VF_PAGE], ids=lambda p: p.name)
def test_markup_is_well_formed(path):
    parse_markup(path)


def test_bundle_meta_api_versions_match_the_project():
    version = json.loads((PACKAGE / "sfdx-project.json").read_text())["sourceApiVersion"]
    for path in metadata_files():
        root = parse_metadata(path)
        for found in md_texts(root, "apiVersion"):
            assert found == version, path.name


# --- Component, Canvas app and their names ------------------------------------------------------


def test_component_is_a_record_page_component_with_the_record_id():
    component = parse_markup(CMP)
    assert component.tag == tag("aura", "component")
    interfaces = {i.strip() for i in component.get("implements").split(",")}
    assert {"flexipage:availableForRecordHome", "force:hasRecordId"} <= interfaces


def test_component_embeds_the_connected_app_by_its_developer_name():
    (canvas,) = parse_markup(CMP).iter(tag("force", "canvasApp"))
    assert canvas.get("developerName") == CONNECTED_APP.name.split(".")[0] == "Be_Inspired"
    assert canvas.get("parameters") == "{!v.canvasParameters}"
    assert canvas.get("width") == "100%"
    assert canvas.get("height")


def test_component_passes_the_record_id_as_the_recordId_parameter():
    controller = CONTROLLER.read_text(encoding="utf-8")
    assert 'component.get("v.recordId")' in controller
    assert 'JSON.stringify({ recordId: recordId })' in controller
    handlers = parse_markup(CMP).iter(tag("aura", "handler"))
    (handler,) = [h for h in handlers if h.get("name") == "init"]
    assert handler.get("action") == "{!c.doInit}"


def test_design_targets_only_the_opportunity_record_page():
    design = parse_markup(DESIGN)
    assert design.tag == tag("design", "component")
    objects = [e.text.strip() for e in design.iter(tag("sfdc", "object"))]
    assert objects == ["Opportunity"]
    exposed = {a.get("name") for a in design.iter(tag("design", "attribute"))}
    declared = {a.get("name") for a in parse_markup(CMP).iter(tag("aura", "attribute"))}
    assert exposed <= declared


def test_visualforce_page_embeds_the_same_canvas_app_on_opportunity():
    page = parse_markup(VF_PAGE)
    assert page.get("standardController") == "Opportunity"
    (canvas,) = page.iter(tag("apex", "canvasApp"))
    assert canvas.get("developerName") == CONNECTED_APP.name.split(".")[0]


def test_connected_app_is_a_signed_request_canvas_app_on_the_service():
    app = parse_metadata(CONNECTED_APP)
    assert md_text(app, "canvasConfig", "accessMethod") == "Post"
    assert md_text(app, "canvasConfig", "canvasUrl") == "https://BE_INSPIRED_HOST/canvas"
    assert sorted(md_texts(app, "canvasConfig", "locations")) == ["Aura", "Visualforce"]
    assert md_text(app, "oauthConfig", "callbackUrl") == "https://BE_INSPIRED_HOST/auth/callback"
    assert md_text(app, "contactEmail") == "BE_INSPIRED_CONTACT_EMAIL"
    assert md_text(app, "label")


def test_connected_app_asks_for_api_and_openid_only_and_pre_authorises_the_permission_set():
    app = parse_metadata(CONNECTED_APP)
    assert md_texts(app, "oauthConfig", "scopes") == ["Api", "OpenID"]  # OpenID: sign-in
    assert md_text(app, "oauthConfig", "isAdminApproved") == "true"
    assert md_text(app, "oauthConfig", "isConsumerSecretOptional") == "false"
    assert md_texts(app, "oauthConfig", "consumerKey") == []  # Salesforce generates it per org
    assert md_texts(app, "permissionSetName") == [PERMSET.name.split(".")[0]]


def test_csp_trusted_site_allows_framing_and_calls_to_the_service_only():
    site = parse_metadata(CSP_SITE)
    assert md_text(site, "endpointUrl") == "https://BE_INSPIRED_HOST"
    assert md_text(site, "context") == "All"
    assert md_text(site, "isActive") == "true"
    assert md_text(site, "isApplicableToFrameSrc") == "true"
    assert md_text(site, "isApplicableToConnectSrc") == "true"
    for other in ("Font", "Img", "Media", "Style"):
        assert md_text(site, f"isApplicableTo{other}Src") == "false"


# --- Permission set -----------------------------------------------------------------------------

#: The non-required fields of the service's query (plugin/crm/salesforce/soql.py) that take FLS.
READ_FIELDS = {
    "Opportunity.Amount", "Opportunity.Type", "Opportunity.Probability", "Opportunity.Description",
    "Opportunity.NextStep", "Opportunity.LeadSource", "Account.Industry", "Contact.Title",
}
#: Required or system fields: always readable, and a field permission for them fails the deploy.
NO_FLS_FIELDS = {
    "Opportunity.Name", "Opportunity.StageName", "Opportunity.CloseDate", "Opportunity.IsClosed",
    "Opportunity.IsWon", "Opportunity.Id", "Opportunity.OwnerId", "Account.Name", "Contact.Name",
}


def test_permission_set_reads_the_fields_the_service_queries_and_nothing_is_editable():
    permset = parse_metadata(PERMSET)
    fields = {}
    for entry in permset.findall(f"{MD}fieldPermissions"):
        fields[md_text(entry, "field")] = (md_text(entry, "readable"), md_text(entry, "editable"))
    assert set(fields) == READ_FIELDS
    assert not set(fields) & NO_FLS_FIELDS
    assert set(fields.values()) == {("true", "false")}


def test_permission_set_field_list_follows_the_service_query():
    from plugin.crm.salesforce import soql

    queried = {f"Opportunity.{f}" for f in soql.OPPORTUNITY_FIELDS} | set(soql.ACCOUNT_FIELDS)
    queried |= {"Contact.Name", "Contact.Title"}
    assert READ_FIELDS | NO_FLS_FIELDS >= queried


def test_permission_set_object_access_is_read_only():
    permset = parse_metadata(PERMSET)
    objects = {}
    for entry in permset.findall(f"{MD}objectPermissions"):
        flags = {child.tag.removeprefix(MD): child.text
                 for child in entry if child.tag != f"{MD}object"}
        objects[md_text(entry, "object")] = flags
    assert set(objects) == {"Account", "Contact", "Opportunity"}
    for flags in objects.values():
        assert flags.pop("allowRead") == "true"
        assert set(flags.values()) == {"false"}


def test_permission_set_opens_the_visualforce_page_and_the_api():
    permset = parse_metadata(PERMSET)
    pages = md_texts(permset, "pageAccesses", "apexPage")
    assert pages == [VF_PAGE.stem]
    assert (VF_PAGE.parent / f"{VF_PAGE.name}-meta.xml").is_file()
    assert md_texts(permset, "userPermissions", "name") == ["ApiEnabled"]
    assert md_text(permset, "hasActivationRequired") == "false"


# --- configure.py -------------------------------------------------------------------------------


@pytest.fixture
def configured(tmp_path):
    before = snapshot(PACKAGE)
    out = tmp_path / "build" / "sf"
    result = run_configure("--host", "Be-Inspired.Example.com:8443", "--contact-email", EMAIL,
                           "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert snapshot(PACKAGE) == before, "configure.py changed the package sources"
    return out


def test_configure_fills_every_placeholder(configured):
    for path in configured.rglob("*"):
        if path.is_file():
            assert "BE_INSPIRED_" not in path.read_text(encoding="utf-8"), path
    app = parse_metadata(configured / CONNECTED_APP.relative_to(PACKAGE))
    origin = "https://be-inspired.example.com:8443"
    assert md_text(app, "canvasConfig", "canvasUrl") == f"{origin}/canvas"
    assert md_text(app, "oauthConfig", "callbackUrl") == f"{origin}/auth/callback"
    assert md_text(app, "contactEmail") == EMAIL
    site = parse_metadata(configured / CSP_SITE.relative_to(PACKAGE))
    assert md_text(site, "endpointUrl") == "https://be-inspired.example.com:8443"


def test_configure_writes_a_deployable_project(configured):
    assert json.loads((configured / "sfdx-project.json").read_text())["packageDirectories"]
    assert (configured / ".forceignore").is_file()
    written = {p.relative_to(configured) for p in configured.rglob("*") if p.is_file()}
    sources = {p.relative_to(PACKAGE) for p in (PACKAGE / "force-app").rglob("*") if p.is_file()}
    assert sources <= written
    assert not any(p.name in ("configure.py", "README.md") for p in written)
    for path in configured.rglob("*.xml"):
        ElementTree.parse(path)
    # Everything else is the source, unchanged.
    for relative in sources - {CONNECTED_APP.relative_to(PACKAGE), CSP_SITE.relative_to(PACKAGE)}:
        assert (configured / relative).read_bytes() == (PACKAGE / relative).read_bytes()


def test_configure_drops_the_default_https_port(tmp_path):
    out = tmp_path / "sf"
    result = run_configure("--host", f"{HOST}:443", "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    site = parse_metadata(out / CSP_SITE.relative_to(PACKAGE))
    assert md_text(site, "endpointUrl") == f"https://{HOST}"


HOSTILE_HOSTS = ["evil.com/path", "https://x", "a b", "host:99999", 'x"><script>']


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_configure_rejects_hostile_hosts_and_writes_nothing(tmp_path, host):
    before = snapshot(PACKAGE)
    out = tmp_path / "sf"
    result = run_configure("--host", host, "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 2
    assert "--host" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert snapshot(PACKAGE) == before


@pytest.mark.parametrize("host", [
    "", "evil.com\n", " evil.com", "evil.com.", ".evil.com", "evil..com", "-evil.com", "evil-.com",
    "localhost", "1.2.3.4", "[::1]", "evil.com:", "evil.com:0", "evil.com:65536", "evil.com:0443",
    "evil.com:80:80", "user@evil.com", "evil.com?x=1", "evil.com#x", "evil.com\\x", "évil.com",
    "evil.com%2f", "evil.com;x", "evil.com<", "a" * 64 + ".com", ".".join(["a" * 63] * 4) + ".com",
    "http:evil.com", "javascript:alert(1)",
])
def test_parse_host_rejects(host):
    configure = load_configure()
    with pytest.raises(configure.ConfigureError):
        configure.parse_host(host)


@pytest.mark.parametrize(("text", "expected"), [
    ("be-inspired.example.com", "be-inspired.example.com"),
    ("BE-INSPIRED.Example.COM", "be-inspired.example.com"),
    ("be-inspired.example.com:8443", "be-inspired.example.com:8443"),
    ("be-inspired.example.com:443", "be-inspired.example.com"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("a.b.c.example.co.uk:1", "a.b.c.example.co.uk:1"),
])
def test_parse_host_accepts(text, expected):
    assert load_configure().parse_host(text) == expected


@pytest.mark.parametrize("email", [
    "", "admin", "admin@localhost", "a@b@example.com", "Admin <admin@example.com>",
    "admin@example.com\n", '"a b"@example.com', "admin@exa mple.com", "admin..x@example.com",
    "<script>@example.com", "admin@1.2.3.4",
])
def test_configure_rejects_bad_contact_emails(tmp_path, email):
    configure = load_configure()
    with pytest.raises(configure.ConfigureError):
        configure.parse_email(email)
    result = run_configure("--host", HOST, "--contact-email", email, "--out", str(tmp_path / "sf"))
    assert result.returncode == 2
    assert not (tmp_path / "sf").exists()


@pytest.mark.parametrize("out", [
    PACKAGE, PACKAGE / "build", DEFAULT / "out", PACKAGE.parent, ROOT,
], ids=["package", "inside", "deep-inside", "parent", "repository"])
def test_configure_never_writes_into_or_over_the_sources(out):
    before = snapshot(PACKAGE)
    result = run_configure("--host", HOST, "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 2
    assert "package sources" in result.stderr
    assert snapshot(PACKAGE) == before
    assert not (PACKAGE / "build").exists() and not (DEFAULT / "out").exists()


def test_configure_refuses_a_directory_it_did_not_write(tmp_path):
    out = tmp_path / "sf"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    result = run_configure("--host", HOST, "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 2
    assert (out / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]


def test_configure_replaces_its_own_earlier_output_whole(tmp_path):
    out = tmp_path / "sf"
    result = run_configure("--host", HOST, "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    stale = out / "force-app" / "main" / "default" / "aura" / "Removed" / "Removed.cmp"
    stale.parent.mkdir(parents=True)
    stale.write_text("<aura:component/>")
    result = run_configure("--host", "other.example.com", "--contact-email", EMAIL,
                           "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    site = parse_metadata(out / CSP_SITE.relative_to(PACKAGE))
    assert md_text(site, "endpointUrl") == "https://other.example.com"
    assert [p.name for p in tmp_path.iterdir()] == ["sf"]  # no staging directory left behind


def test_configure_accepts_an_empty_existing_directory(tmp_path):
    out = tmp_path / "sf"
    out.mkdir()
    result = run_configure("--host", HOST, "--contact-email", EMAIL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / "sfdx-project.json").is_file()


def test_configure_refuses_an_unknown_placeholder_and_leaves_nothing(tmp_path):
    configure = load_configure()
    source = tmp_path / "source"
    for name in ("sfdx-project.json", ".forceignore"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((PACKAGE / name).read_bytes())
    page = source / "force-app" / "main" / "default" / "pages" / "X.page-meta.xml"
    page.parent.mkdir(parents=True)
    page.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<ApexPage xmlns="http://soap.sforce.com/2006/04/metadata">'
                    "<label>BE_INSPIRED_NEW_THING</label></ApexPage>\n")
    out = tmp_path / "out"
    with pytest.raises(configure.ConfigureError, match="BE_INSPIRED_NEW_THING"):
        configure.write_package(out, HOST, EMAIL, source=source)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source"]


def test_admin_guide_uses_the_real_names_and_flags():
    guide = (ROOT / "docs" / "admin-guide.md").read_text(encoding="utf-8")
    for name in ("Be_Inspired_User", "BeInspiredPanel", "BeInspiredClassicPanel", "Be_Inspired"):
        assert name in guide
    for flag in ("--host", "--contact-email", "--out"):
        assert f"    {flag} " in guide or f" {flag} " in guide
    assert "sf project deploy start --source-dir force-app --target-org" in guide
    assert "cd build/sf" in guide
    help_text = run_configure("--help").stdout
    for flag in ("--host", "--contact-email", "--out"):
        assert flag in help_text
