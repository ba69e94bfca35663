"""How failures answer: the API with its error body, pages with the error page.

No error answer ever echoes request input back into HTML; API messages may quote it, as JSON.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from alerting.triage.auth.principal import API_PREFIX, PASSWORD_PAGE, SAFE_METHODS
from alerting.triage.context import triage_context
from alerting.triage.errors import (
    PasswordChangeRequiredError,
    TooManyRequestsError,
    TriageError,
    error_body,
)
from alerting.triage.exception_draft import EXCEPTION_ERROR_CODES
from alerting.triage.headers import SECURITY_HEADERS
from alerting.triage.rule_switch import RULE_SWITCH_ERROR_CODES
from canhgac.errors import StoreError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal",
    503: "store_unavailable",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _answer(request: Request, status: int, code: str, message: str) -> Response:
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(code, message), status_code=status, headers=headers)
    if status == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        query = urlencode({"next": target}) if request.method in SAFE_METHODS else ""
        return RedirectResponse("/login" + (f"?{query}" if query else ""), status_code=303)
    pages = triage_context(request).pages
    t_code = code if code in _KNOWN_PAGE_CODES else _HTTP_CODES.get(status, "internal")
    return pages.render(
        request,
        "error.html",
        {
            "status": status,
            "title_key": f"http.{status if status in _HTTP_CODES else 500}",
            "message_key": f"error.{t_code}",
        },
        status=status,
    )


#: Error codes with their own translated message on the error page.
_KNOWN_PAGE_CODES = frozenset(
    {
        *_HTTP_CODES.values(),
        "csrf_failed",
        "not_new",
        "closed",
        "not_closed",
        "unknown_assignee",
        *EXCEPTION_ERROR_CODES,
        *RULE_SWITCH_ERROR_CODES,
    }
)


async def _triage_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TriageError)
    if isinstance(exc, PasswordChangeRequiredError) and not _is_api(request):
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    response = _answer(request, exc.status, exc.code, exc.message)
    if isinstance(exc, TooManyRequestsError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg', '')}"
        for error in exc.errors()[:5]
    ]
    return _answer(request, 422, "invalid_input", "; ".join(problems) or "invalid request")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    return _answer(request, exc.status_code, code, str(exc.detail))


async def _store_error(request: Request, exc: Exception) -> Response:
    log.warning("store failed during %s %s: %s", request.method, request.url.path, exc)
    return _answer(request, 503, "store_unavailable", "the store is unavailable; try again")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error during %s %s", request.method, request.url.path)
    response = _answer(request, 500, "internal", "internal error")
    # Starlette answers unhandled errors outside every middleware, the headers' one included.
    response.headers.update({**SECURITY_HEADERS, "Cache-Control": "no-store"})
    return response


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TriageError, _triage_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(Exception, _unexpected)
