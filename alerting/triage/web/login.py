"""Logging in and out, and changing one's own password (required after a generated one)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from alerting.triage.auth.accounts import LoginResult
from alerting.triage.auth.principal import (
    EVERYONE,
    PASSWORD_PAGE,
    READERS,
    SELF_SERVICE,
    Principal,
    public_route,
)
from alerting.triage.context import triage_context
from alerting.triage.errors import CsrfError, InvalidInputError, TooManyRequestsError
from canhgac.store.triage import AuditEntry, Role, TriageRecord
from canhgac.timeutil import to_iso

router = APIRouter(include_in_schema=False)

_MESSAGES = {
    LoginResult.invalid: "login.invalid",
    LoginResult.throttled: "login.throttled",
    LoginResult.disabled: "login.invalid",
}


def safe_next(target: str | None) -> str | None:
    """A local path to go to after login; anything that could leave the site is refused."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if target.startswith("/login"):
        return None
    return target[:2000]


def landing(role: Role) -> str:
    return "/alerts" if role in READERS.roles else "/overview"


def _login_page(
    request: Request,
    next_path: str | None,
    error: str | None,
    status: int,
    retry_after: int = 0,
) -> Response:
    ctx = triage_context(request)
    token = secrets.token_urlsafe(32)
    context = {
        "login_csrf": token,
        "next_path": next_path or "",
        "error": error,
        "retry_after": retry_after,
    }
    response = ctx.pages.render(request, "login.html", context, status=status)
    ctx.sessions.set_login_csrf(response, token)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/login", dependencies=[Depends(public_route)])
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, safe_next(next), None, 200)


@router.post("/login", dependencies=[Depends(public_route)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    ctx = triage_context(request)
    expected = request.cookies.get(ctx.sessions.login_csrf_cookie, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        raise CsrfError("the login form is stale; reload it")
    source_ip = request.client.host if request.client else None
    back = safe_next(next)
    try:
        outcome = ctx.accounts.login(username.strip(), password, source_ip=source_ip)
    except TooManyRequestsError as busy:  # the hashing pool is full: nothing was checked
        return _login_page(request, back, "login.busy", 429, busy.retry_after)
    if outcome.user is None:
        status = 429 if outcome.result is LoginResult.throttled else 401
        return _login_page(request, back, _MESSAGES[outcome.result], status, outcome.retry_after)
    cookie, _ = ctx.sessions.open(outcome.user)
    if outcome.user.must_change_password:
        target = PASSWORD_PAGE
    else:
        target = back or landing(outcome.user.role)
    response = RedirectResponse(target, status_code=303)
    ctx.sessions.set_cookie(response, cookie)
    ctx.sessions.clear_login_csrf(response)
    return response


@router.post("/logout")
def logout(request: Request, principal: Annotated[Principal, Depends(SELF_SERVICE)]) -> Response:
    ctx = triage_context(request)
    if principal.session is not None:
        ctx.sessions.close(principal.session)
    entry = AuditEntry(
        at=to_iso(ctx.clock()),
        actor=principal.username,
        action="auth.logout",
        target=f"user:{principal.username}",
        source_ip=request.client.host if request.client else None,
    )
    ctx.triage.record(TriageRecord(audit=[entry]))
    response = RedirectResponse("/login", status_code=303)
    ctx.sessions.clear_cookie(response)
    return response


@router.get("/")
def home(principal: Annotated[Principal, Depends(EVERYONE)]) -> Response:
    return RedirectResponse(landing(principal.role), status_code=303)


def _password_page(request: Request, principal: Principal, error: str | None) -> Response:
    context = {"required": principal.must_change_password, "error": error}
    pages = triage_context(request).pages
    return pages.render(request, "password.html", context, status=422 if error else 200)


@router.get(PASSWORD_PAGE)
def password_form(
    request: Request, principal: Annotated[Principal, Depends(SELF_SERVICE)]
) -> Response:
    return _password_page(request, principal, None)


@router.post(PASSWORD_PAGE)
def change_password(
    request: Request,
    principal: Annotated[Principal, Depends(SELF_SERVICE)],
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    ctx = triage_context(request)
    if principal.session is None:  # a token has no password of its own
        raise CsrfError("change the password from a browser session")
    if new != confirm:
        return _password_page(request, principal, "password.mismatch")
    try:
        user = ctx.accounts.change_password(principal.username, current, new)
    except InvalidInputError as exc:
        return _password_page(request, principal, f"password.{exc.code}")
    return RedirectResponse(landing(user.role), status_code=303)
