"""What operators watch: Prometheus counters and timings, log lines carrying the request's id.

Rule of this room: it imports no other room, and prometheus_client only at a metric's first use."""
