"""The JSON API under ``/api/v1``, as ``plugin/openapi.yaml`` documents it.

Rule of this room: parse input strictly, call a feature, answer JSON in the documented shape."""
