"""The worker's side of background jobs: the function RQ runs for each job, and the periodic
schedule kept in Redis (``beinspired worker``).

Rule of this room: no Flask; it builds the services it needs from the settings (it may import
the bootstrap); what a job does lives in the feature rooms (``plugin/learning/job_queue.py`` has
the table of kinds), and only ``cli`` and ``server`` use this room.
"""
