"""SQLAlchemy 2.0 tables, one module per area over one ``Base``; every row that holds an org's
data carries that org's Id. Importing this package registers every table on ``Base.metadata``
(Alembic's ``env.py`` and the tests rely on it)."""
from content_catalog.tables import (
    access_tables, analytics_tables, catalog_tables, coaching_tables, deal_history_tables,
    learning_tables, org_tables, people_tables, review_tables,
)
from content_catalog.tables.base import Base, utcnow

__all__ = ["Base", "access_tables", "analytics_tables", "catalog_tables", "coaching_tables",
           "deal_history_tables", "learning_tables", "org_tables", "people_tables",
           "review_tables", "utcnow"]
