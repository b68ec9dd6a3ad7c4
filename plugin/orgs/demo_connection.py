"""The demo org as a connected org: stored like any org, so an admin maps its stages and fields
in the console and with ``beinspired org``, while its data source stays the bundled records."""
from __future__ import annotations

from plugin.crm.demo_org import DEMO_CHALLENGE_FIELD, DEMO_INSTANCE_URL, DEMO_ORG_ID, DEMO_ORG_NAME
from plugin.crm.salesforce.config import OrgConnection
from plugin.orgs.connections import ConfiguredOrg, OrgConnections

#: What the console says instead of offering a connection to edit.
DEMO_CONNECTION_FIXED = ("The demo org reads its bundled records; there is no Salesforce "
                         "connection to change. Map its fields and stages instead.")


def demo_configured_org() -> ConfiguredOrg:
    connection = OrgConnection(DEMO_ORG_ID, DEMO_INSTANCE_URL, challenge_field=DEMO_CHALLENGE_FIELD)
    return ConfiguredOrg(DEMO_ORG_NAME, connection, is_demo=True)


def connect_demo_org(store: OrgConnections) -> bool:
    """Store the demo org's connection unless it is there already (so an admin's mapping
    survives every reload of the demo); True when it was added."""
    if store.get(DEMO_ORG_ID) is not None:
        return False
    store.save(demo_configured_org())
    return True


__all__ = ["DEMO_CONNECTION_FIXED", "connect_demo_org", "demo_configured_org"]
