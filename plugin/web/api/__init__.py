"""The JSON API under ``/api/v1``, as ``plugin/openapi.yaml`` documents it.

Rule of this room: parse the body and query strictly into typed input, call a feature, answer
JSON in the documented shape; errors are raised, and ``web/error_responses`` answers them.
"""
