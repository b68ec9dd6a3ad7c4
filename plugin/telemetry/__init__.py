"""What operators watch: counters and timings for Prometheus, and log lines (text or JSON) that
carry the request's id.

Rule of this room: it knows nothing of the service (it imports no other room), so every room may
report to it; it never imports prometheus_client before a metric is first used, because the
production server must choose the multiprocess mode before that happens.
"""
