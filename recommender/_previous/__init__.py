"""The rankers as they were before the big-catalog work (commit 8c1c292), kept verbatim.

Only :mod:`recommender.benchmark` and the equivalence tests import this: the benchmark times
the previous implementation beside the current one in the same run, and the tests hold the
current one to the previous one's rankings. Nothing in the service may use it.
"""
