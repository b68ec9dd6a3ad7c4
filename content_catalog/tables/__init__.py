"""SQLAlchemy 2.0 tables, one module per area over one ``Base``; every row that holds an org's
data carries that org's Id. Importing this package registers every table on ``Base.metadata``
(Alembic's ``env.py`` and the tests rely on it)."""
from content_catalog.tables import (
    access_tables, analytics_tables, catalog_tables, learning_tables, org_tables,
)
from content_catalog.tables import people_tables
from content_catalog.tables import coaching_tables
from content_catalog.tables.base import Base, utcnow

__all__ = ["Base", "access_tables", "analytics_tables", "catalog_tables", "learning_tables",
           "org_tables", "people_tables", "utcnow", "coaching_tables"]
from content_catalog.tables import deal_history_tables  # noqa: E402,F401  (issue 15: stage history)
