"""Be Inspired's service: how content suggestions reach CRMs and people.

Its rooms and their import order: docs/architecture.md (tests/test_architecture.py checks it)."""
