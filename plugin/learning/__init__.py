"""Learning from outcomes: outcome sync, ranker training and versions, jobs, evaluation.
Rule of this room: no Flask; it may use every lower room (``ranking``, ``analytics``), and
nothing but ``cli``, ``web`` and the bootstrap uses it."""
