"""Security headers for every response, with the Content-Security-Policy built in one place."""
from __future__ import annotations

from flask import Response, g, request

BASE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def content_security_policy(frame_ancestors: tuple[str, ...] | None) -> str:
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'self'"
    return f"{BASE_POLICY}; frame-ancestors {ancestors}"


#: A year, the subdomains too (OWASP ASVS 5.0, 3.4.1); sent only over https.
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(g.get("frame_ancestors"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages and JSON carry a user's data, tokens or drafts: no browser or proxy may keep
        # them. Static assets keep Flask's own revalidation headers.
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:  # as the trusted proxies said (plugin/web/proxy_trust.py)
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
