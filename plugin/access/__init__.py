"""Who may do what: roles and the org's role mappings, personal API tokens, the panel's app
tokens and signed-in sessions.

Rule of this room: no Flask; it decides and stores, the web room reads the request.
"""
