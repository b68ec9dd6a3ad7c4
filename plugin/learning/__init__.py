"""Learning from outcomes: deal outcomes synced from the CRM, training and versioning the learned
ranker, the scheduled jobs, the demo's simulated history and the offline evaluation report.

Rule of this room: no Flask; it may use every lower room (``ranking``, ``analytics`` for charts),
and nothing but ``cli``, ``web`` and the bootstrap uses it.
"""
