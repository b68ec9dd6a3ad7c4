"""How content fares, for enablement leads: per-module rates, the coverage map's gaps, the charts.
Rule of this room: no Flask; the figures are pure functions of what ``ranking`` reads from the
log."""
