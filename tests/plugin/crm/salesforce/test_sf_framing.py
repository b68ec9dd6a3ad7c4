from __future__ import annotations

import pytest

from plugin.crm.salesforce.exceptions import SalesforceConfigError
from plugin.crm.salesforce.framing import frame_ancestor_origins, frame_ancestors_directive

PRODUCTION = (
    "https://acme.my.salesforce.com", "https://acme.lightning.force.com",
    "https://acme--c.vf.force.com",
)
SANDBOX = (
    "https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.lightning.force.com",
    "https://acme--uat--c.sandbox.vf.force.com",
)


@pytest.mark.parametrize("url", PRODUCTION)
def test_any_production_host_gives_all_three(url):
    assert frame_ancestor_origins(url) == PRODUCTION


@pytest.mark.parametrize("url", SANDBOX)
def test_any_sandbox_host_gives_the_sandbox_forms(url):
    assert frame_ancestor_origins(url) == SANDBOX


def test_partitioned_developer_edition_hosts():
    assert frame_ancestor_origins("https://acme-dev-ed.develop.my.salesforce.com") == (
        "https://acme-dev-ed.develop.my.salesforce.com",
        "https://acme-dev-ed.develop.lightning.force.com",
        "https://acme-dev-ed--c.develop.vf.force.com",
    )


def test_managed_package_visualforce_hosts_can_be_added():
    origins = frame_ancestor_origins("https://ACME.my.salesforce.com/",
                                     vf_namespaces=("c", "beinsp"))
    assert origins[-2:] == ("https://acme--c.vf.force.com", "https://acme--beinsp.vf.force.com")
    with pytest.raises(ValueError):
        frame_ancestor_origins(PRODUCTION[0], vf_namespaces=("c*",))


@pytest.mark.parametrize("url", [
    "https://na123.salesforce.com", "https://localhost:8443", "https://acme.my.salesforce.com:8443",
    "https://acme.my.salesforce.com.evil.example",
])
def test_other_hosts_give_only_themselves_never_a_wildcard(url):
    assert frame_ancestor_origins(url) == (url,)


@pytest.mark.parametrize("url", [
    "http://acme.my.salesforce.com", "https://evil.example/acme.my.salesforce.com",
])
def test_only_https_origins_are_allowed(url):
    with pytest.raises(SalesforceConfigError):
        frame_ancestor_origins(url)


def test_the_directive_joins_orgs_without_duplicates():
    assert frame_ancestors_directive([PRODUCTION[0], PRODUCTION[1]]) == (
        "frame-ancestors " + " ".join(PRODUCTION))
    assert frame_ancestors_directive([]) == "frame-ancestors 'none'"
