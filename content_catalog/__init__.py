"""The content catalog: modules, their tags, history and imports, and the tables the service stores.
No Flask and no ``plugin``: the service builds on it (design: docs/design/content_catalog.md)."""
