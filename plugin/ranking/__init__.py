"""What serving, learning and analytics share: the catalog as rankers see it, "v1 as the panel
builds it", an opportunity mapped into the recommender's context, the logged views, and the
learned model each org is served.

Rule of this room: no Flask; below ``panel``, ``learning`` and ``analytics``, which all use it.
"""
