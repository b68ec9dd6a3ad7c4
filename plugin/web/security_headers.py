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


#: The policy of every response but a framed panel's, made once rather than per response.
DEFAULT_POLICY = content_security_policy(None)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    ancestors = g.get("frame_ancestors")
    headers["Content-Security-Policy"] = (content_security_policy(ancestors) if ancestors
                                          else DEFAULT_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if "Cache-Control" not in headers and request.endpoint != "static":
        # Pages and JSON carry a user's data, tokens or drafts: no browser or proxy may keep
        # them. Static assets keep Flask's own revalidation headers.
        headers["Cache-Control"] = "no-store"
    if request.is_secure:  # as the trusted proxies said (plugin/web/proxy_trust.py)
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
