"""Migration 0010 (issue 13, defect 12): an org's CA bundle path becomes the certificates' PEM text,
so existing orgs keep trusting their proxy; a path that is not a file of certificates is dropped."""
from __future__ import annotations

import json

from content_catalog.database import session_factory, upgrade
from content_catalog.org_settings import OrgSettingsRepository
from tests.plugin.crm.salesforce.sf_fakes import ca_pem

PROXY_ORG, PROBING_ORG, PLAIN_ORG = "00D000000000001AAA", "00D000000000002AAA", "00D000000000003AAA"


def stored_settings(engine, org_id):
    with session_factory(engine)() as session:
        return json.loads(OrgSettingsRepository(session).get(org_id).settings)


def test_a_stored_ca_bundle_path_becomes_its_certificates_and_anything_else_is_dropped(
        empty_engine, tmp_path):
    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text(ca_pem())
    key = tmp_path / "id_rsa"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    upgrade(empty_engine, "0008")
    with session_factory(empty_engine).begin() as session:
        repository = OrgSettingsRepository(session)
        for org_id, ca_bundle in ((PROXY_ORG, str(bundle)), (PROBING_ORG, str(key)),
                                  (PLAIN_ORG, None)):
            settings = {"instance_url": "https://acme.my.salesforce.com", "ca_bundle": ca_bundle,
                        "auth_mode": "canvas"}
            repository.put(org_id, "Org", json.dumps(settings), "")

    upgrade(empty_engine)

    assert stored_settings(empty_engine, PROXY_ORG)["ca_bundle"] == ca_pem()
    assert stored_settings(empty_engine, PROBING_ORG)["ca_bundle"] is None
    assert stored_settings(empty_engine, PLAIN_ORG)["ca_bundle"] is None
