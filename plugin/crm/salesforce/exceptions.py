"""What can go wrong when we talk to Salesforce, in our words."""
from __future__ import annotations

#: How much of Salesforce's message an org event keeps.
MAX_EXPLANATION = 300


class SalesforceConfigError(ValueError):
    """An org connection is configured in a way that can never work (fix the settings)."""


class SalesforceApiError(RuntimeError):
    """Base class: a call to Salesforce did not return usable data.

    ``error_code`` is Salesforce's own code (``INVALID_FIELD``) when it sent one.
    """

    def __init__(self, reason: str, *, status: int | None = None, error_code: str | None = None,
                 detail: str = ""):
        self.reason = reason
        self.status = status
        self.error_code = error_code
        self.detail = detail
        super().__init__(reason)

    def explanation(self, limit: int = MAX_EXPLANATION) -> str:
        """The start of Salesforce's own explanation, at most ``limit`` characters, for admins.

        A SOQL error message opens with an echo of the query and a caret line, then
        ``ERROR at Row:…:Column:…``, then the sentence that says what is wrong: that sentence is
        kept from its start (a cut message ends in "…"), never the tail of the echo."""
        text = self.detail
        if "ERROR at Row" in text:
            text = text.split("ERROR at Row", 1)[1].partition("\n")[2] or text
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class SalesforceUnreachable(SalesforceApiError):
    """Timeout, connection failure or a 5xx: worth one retry, then serve the cache."""


class SessionExpired(SalesforceApiError):
    """401 ``INVALID_SESSION_ID``: the token was revoked or timed out."""


class CanvasSessionExpired(SessionExpired):
    """The viewing user's Canvas token no longer works (or none was given) and we cannot log in
    on their behalf: the page must ask Salesforce for a fresh signed request
    (``Sfdc.canvas.client.refreshSignedRequest``) and try again."""

    http_status = 401


class AuthenticationFailed(SalesforceApiError):
    """A login (JWT, client credentials, SOAP) was refused: check credentials and connected app."""


class RequestLimitExceeded(SalesforceApiError):
    """403 ``REQUEST_LIMIT_EXCEEDED``: the org has used up its API requests; stop calling it."""


class AccessRefused(SalesforceApiError):
    """Any other 403: the integration user lacks a permission."""


class QueryRejected(SalesforceApiError):
    """400 on our query: a field or object is missing or not visible to this user
    (``INVALID_FIELD``, ``INVALID_TYPE``), or the query is malformed."""


class HostRefused(SalesforceApiError):
    """We did not connect: the host is neither Salesforce's nor allowed by the operator
    (``BEINSPIRED_ALLOWED_CRM_HOSTS``). Not retried."""


class UnexpectedResponse(SalesforceApiError):
    """Salesforce answered with something that is not the documented shape."""
