"""The worker's side of background jobs: the function RQ runs per job, the schedule in Redis.

Rule of this room: no Flask; a job's work lives in the feature rooms; only ``cli`` imports it."""
