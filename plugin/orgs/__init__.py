"""The orgs the service serves: connections, mapping onto the taxonomy, admin input, health events.

Rule of this room: no Flask; it may use ``crm`` and ``content_catalog``, nothing higher."""
