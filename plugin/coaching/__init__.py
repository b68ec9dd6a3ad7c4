"""What managers and channel managers see of their team's deals, and what they recommend to a rep.
Rule of this room: no Flask; it reads ``deals``, ``panel`` and ``analytics`` and stores only the
recommendations managers make."""
