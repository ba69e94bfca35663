"""The errors a triage request can end in, each with a stable code for the API's error body.

Pages and the API share them: the API answers ``{"error": {"code": ..., "message": ...}}``,
pages show the message (translated by its code) on the error page.
"""

from __future__ import annotations

from pydantic import BaseModel

from canhgac.errors import CanhGacError


class TriageError(CanhGacError):
    """A request that cannot be served as asked. ``code`` is stable and translatable."""

    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class NotAuthenticatedError(TriageError):
    status = 401
    code = "not_authenticated"


class ForbiddenError(TriageError):
    status = 403
    code = "forbidden"


class CsrfError(ForbiddenError):
    code = "csrf_failed"


class NotFoundError(TriageError):
    status = 404
    code = "not_found"


class ConflictError(TriageError):
    """The alert is not in a state the action applies to (e.g. closing a closed alert)."""

    status = 409
    code = "conflict"


class InvalidInputError(TriageError):
    status = 422
    code = "invalid_input"


class PasswordChangeRequiredError(ForbiddenError):
    """The account's password was generated or reset by someone else: change it first."""

    code = "password_change_required"


class TooManyRequestsError(TriageError):
    """Slow down: too many logins at once, or too many failures. ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every API error response has this body."""

    error: ErrorDetail


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return ErrorBody(error=ErrorDetail(code=code, message=message)).model_dump()


#: The error responses every API route documents (schemathesis checks them against reality).
API_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Malformed request"),
        (401, "Not authenticated"),
        (403, "Role not allowed, or CSRF token missing"),
        (404, "Not found"),
        (409, "The alert's state does not allow the action"),
        (422, "Invalid parameters or body"),
        (429, "Too many password checks at once; see Retry-After"),
        (503, "The store is unavailable"),
    )
}
