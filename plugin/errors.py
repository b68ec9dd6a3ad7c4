"""The service's exceptions that carry an HTTP status: features raise them, and
:mod:`plugin.web.error_responses` is the one place that turns them into responses."""
from __future__ import annotations

from typing import Any

from content_catalog.modules import FieldError

#: A 400 lists at most this many field errors: enough to fix a real request, while a hostile one
#: (20,000 bad values) cannot make the answer many times larger than the question.
MAX_FIELD_ERRORS = 20


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: list[FieldError] | None = None, **extra: Any):
        self.message = message
        self.errors = errors or []
        self.extra = extra
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, **self.extra}
        if self.errors:
            error["fields"] = [e.as_dict() for e in self.errors[:MAX_FIELD_ERRORS]]
            more = len(self.errors) - MAX_FIELD_ERRORS
            if more > 0:
                error["more_fields"] = more
                error["message"] = f"{self.message} (The first {MAX_FIELD_ERRORS} problems are listed, and {more} more.)"
        return {"error": error}


class InvalidInput(ApiError):
    status = 400
    code = "invalid_input"


class Unauthorised(ApiError):
    status = 401
    code = "unauthorised"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    """The change does not fit the resource as it now is (saved since, already exists, ...)."""

    status = 409
    code = "conflict"


class TooManyRequests(ApiError):
    """Slow down: ``retry_after`` seconds until the next try can succeed."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **extra: Any):
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    """Nothing is wrong with the request; a part the answer needs (the database) is unreachable.
    ``retry_after`` seconds is when to try again."""

    status = 503
    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class PreconditionRequired(ApiError):
    """A change that must name the version it is based on (``If-Match``) did not."""

    status = 428
    code = "precondition_required"
