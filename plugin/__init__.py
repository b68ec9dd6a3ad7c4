"""Be Inspired's service: how content suggestions reach CRMs and people.

Rooms, lowest first; imports only point down (``tests/test_architecture.py`` checks it):
``settings``/``errors`` → ``crm`` → ``orgs``, ``access``, ``content`` → ``ranking`` →
``panel``, ``analytics`` → ``learning`` → ``services`` (the bootstrap) → ``web``, ``cli`` →
``app``; ``benchmarks`` measure the whole. See docs/architecture.md.
"""
