"""What serving, learning and analytics share: the catalog as rankers see it, v1 as the panel
builds it, context mapping, the logged views, and each org's served learned model.
Rule of this room: no Flask; below ``panel``, ``learning`` and ``analytics``, which all use it."""
