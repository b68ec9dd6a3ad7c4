"""Benchmarks of the service as a whole (the ranker's own is ``recommender.benchmark``).

Each prints its figures beside a baseline measured in the same run; see BENCHMARKS.md.
"""
