"""Security headers for every response, with the Content-Security-Policy built in one place."""
from __future__ import annotations

from flask import Response, g

BASE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def content_security_policy(frame_ancestors: tuple[str, ...] | None) -> str:
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'self'"
    return f"{BASE_POLICY}; frame-ancestors {ancestors}"


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(g.get("frame_ancestors"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if g.get("frame_ancestors"):
        response.headers["Cache-Control"] = "no-store"  # carries a user's token and data
    return response
