"""Benchmarks of the service as a whole (the ranker's own is ``recommender.benchmark``).
Rule of this room: measure the whole service as a customer runs it and print figures beside a
baseline from the same run (BENCHMARKS.md); only `cli` imports it."""
