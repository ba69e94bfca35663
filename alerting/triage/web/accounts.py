"""The accounts page (admins only): local users and API tokens, as the REST API manages them.

Changes go through the same services as ``/api/v1/users`` and ``/api/v1/tokens`` (validation,
the last-admin rule, audit entries). Every post answers with a redirect carrying a ``notice``
code, except issuing a token: its secret is shown once, in the answer to that post, never in a
URL, and the answer is not cached.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from alerting.triage.auth.principal import ADMINS, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import TriageError
from alerting.triage.queue import parse_time
from canhgac.store.triage import Role

router = APIRouter(include_in_schema=False)

Admin = Annotated[Principal, Depends(ADMINS)]
UserChange = Literal["role", "disable", "enable", "unlock"]
_NAME = Form(min_length=1, max_length=200)


def _page(request: Request, notice: str = "", secret: str = "", status: int = 200) -> Response:
    ctx = triage_context(request)
    context: dict[str, Any] = {
        "users": ctx.triage.list_users(),
        "tokens": ctx.triage.list_tokens(),
        "roles": list(Role),
        "notice": notice,
        "secret": secret,
        "now": ctx.clock(),
    }
    page = ctx.pages.render(request, "accounts.html", context, status)
    if secret:
        page.headers["Cache-Control"] = "no-store"
    return page


def _back(notice: str) -> Response:
    return RedirectResponse(f"/accounts?{urlencode({'notice': notice})}", 303)


def _done(done: str, action: Any, *args: Any, **kwargs: Any) -> Response:
    try:
        action(*args, **kwargs)
    except TriageError as exc:
        return _back(exc.code)
    return _back(done)


@router.get("/accounts")
def accounts_page(
    request: Request, _: Admin, notice: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    return _page(request, notice)


@router.post("/accounts/users")
def add_user(
    request: Request,
    who: Admin,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    accounts = triage_context(request).accounts
    return _done(
        "done_user_add",
        accounts.create_user,
        username,
        password,
        role,
        display_name=display_name,
        actor=who.username,
    )


@router.post("/accounts/users/{username}")
def change_user(
    request: Request,
    who: Admin,
    username: str,
    change: Annotated[UserChange, Form()],
    role: Annotated[Role | None, Form()] = None,
) -> Response:
    accounts = triage_context(request).accounts
    if change == "role" and role is None:
        return _back("invalid_input")
    changes: dict[str, dict[str, Any]] = {
        "role": {"role": role},
        "disable": {"disabled": True},
        "enable": {"disabled": False},
        "unlock": {"unlock": True},
    }
    fields = changes[change]
    return _done("done_user_change", accounts.update_user, who.username, username, **fields)


@router.post("/accounts/tokens")
def issue_token(
    request: Request,
    who: Admin,
    name: Annotated[str, _NAME],
    role: Annotated[Role, Form()],
    expires_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    ctx: TriageContext = triage_context(request)
    try:
        expires = parse_time(expires_at) if expires_at else None
        secret, _ = ctx.tokens.issue(name, role, created_by=who.username, expires_at=expires)
    except TriageError as exc:
        return _back(exc.code)
    return _page(request, "done_token_issue", secret)


@router.post("/accounts/tokens/{token_id}/revoke")
def revoke_token(request: Request, who: Admin, token_id: str) -> Response:
    tokens = triage_context(request).tokens
    return _done("done_token_revoke", tokens.revoke, token_id, actor=who.username)
