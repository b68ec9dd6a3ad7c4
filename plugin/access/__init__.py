"""Who may do what: roles, role mappings, API tokens, the panel's app tokens, signed-in sessions.

Rule of this room: no Flask; it decides and stores, the web room reads the request."""
