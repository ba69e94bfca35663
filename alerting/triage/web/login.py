"""Logging in and out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from alerting.triage.auth.accounts import LoginResult
from alerting.triage.auth.principal import EVERYONE, READERS, Principal, public_route
from alerting.triage.auth.sessions import LOGIN_CSRF_COOKIE
from alerting.triage.context import triage_context
from alerting.triage.errors import CsrfError
from canhgac.store.triage import AuditEntry, Role, TriageRecord
from canhgac.timeutil import to_iso

router = APIRouter(include_in_schema=False)

_MESSAGES = {
    LoginResult.invalid: "login.invalid",
    LoginResult.locked: "login.locked",
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
    request: Request, next_path: str | None, error: str | None, status: int
) -> Response:
    ctx = triage_context(request)
    token = secrets.token_urlsafe(32)
    response = ctx.pages.render(
        request,
        "login.html",
        {"login_csrf": token, "next_path": next_path or "", "error": error},
        status=status,
    )
    ctx.sessions.set_login_csrf(response, token)
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
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        raise CsrfError("the login form is stale; reload it")
    source_ip = request.client.host if request.client else None
    outcome = ctx.accounts.login(username.strip(), password, source_ip=source_ip)
    if outcome.user is None:
        return _login_page(request, safe_next(next), _MESSAGES[outcome.result], 401)
    cookie, _ = ctx.sessions.open(outcome.user)
    response = RedirectResponse(safe_next(next) or landing(outcome.user.role), status_code=303)
    ctx.sessions.set_cookie(response, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, principal: Annotated[Principal, Depends(EVERYONE)]) -> Response:
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
