"""How the content fares, for enablement leads: per-module rates with intervals, the coverage
map's gaps, and the charts the pages and reports draw.

Rule of this room: no Flask; the figures are pure functions of what ``ranking`` reads from the log.
"""
