"""The orgs the service serves: their connections (secrets encrypted at rest), how their values
map onto the taxonomy, what admins send about them, and what admins must hear about them.

Rule of this room: no Flask; it may use ``crm`` and ``content_catalog``, nothing higher.
"""
