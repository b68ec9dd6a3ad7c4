"""org CA bundle as PEM text

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000

An org's ``ca_bundle`` setting was a path on the service's host, typed by the org's admin, which
let a tenant probe the host's files (issue 13). It is now the PEM text of the certificates
themselves. This data migration, run once by the operator, replaces each stored path whose file
holds only readable X.509 certificates with that text, so existing orgs keep working; any other
path (a missing file, a key, /etc/shadow) is dropped, and the operator's BEINSPIRED_CRM_CA_BUNDLE
or the system's CAs apply. No column changes: the setting lives in the settings JSON.
"""
import json
import logging
import re

import sqlalchemy as sa
from alembic import op
from cryptography import x509

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
_MAX_CHARS = 200_000
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_rows = sa.table("org_connections", sa.column("org_id", sa.String), sa.column("settings", sa.Text))


def _certificates_in(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read(_MAX_CHARS + 1)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if len(text) > _MAX_CHARS or set(_PEM_BLOCK.findall(text)) != {"CERTIFICATE"}:
        return None
    try:
        x509.load_pem_x509_certificates(text.encode("ascii"))
    except ValueError:
        return None
    return text.strip() + "\n"


def _rewrite(convert) -> None:
    connection = op.get_bind()
    for org_id, raw in connection.execute(sa.select(_rows.c.org_id, _rows.c.settings)).all():
        settings = json.loads(raw)
        value = settings.get("ca_bundle")
        if not isinstance(value, str):
            continue
        settings["ca_bundle"] = convert(org_id, value)
        connection.execute(_rows.update().where(_rows.c.org_id == org_id)
                           .values(settings=json.dumps(settings, sort_keys=True)))


def upgrade() -> None:
    def convert(org_id: str, value: str) -> str | None:
        if value.lstrip().startswith("-----BEGIN"):
            return value
        pem = _certificates_in(value)
        if pem is None:
            log.warning("org %s: CA bundle setting dropped (not a file of certificates)", org_id)
        return pem

    _rewrite(convert)


def downgrade() -> None:
    # The previous schema read the setting as a path; PEM text there would stop the org loading.
    _rewrite(lambda _org_id, _value: None)
