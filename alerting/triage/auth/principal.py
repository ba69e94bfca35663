"""Who is asking, and the per-route role check every route declares.

A route declares its roles by depending on a :class:`RoleRequirement` (or, for the login page
alone, on :func:`public_route`). :func:`app_endpoints` reads those declarations back, so a
test can enumerate the app's routes and prove each one refuses what it should: a route that
declares nothing fails that test.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.concurrency import run_in_threadpool

from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import (
    CsrfError,
    ForbiddenError,
    NotAuthenticatedError,
    PasswordChangeRequiredError,
)
from canhgac.store.triage import ApiToken, Role, Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
API_PREFIX = "/api/"
#: Where a person whose password was set by someone else must go before anything else.
PASSWORD_PAGE = "/password"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated person (with a browser session) or integration (with a token)."""

    username: str
    role: Role
    display_name: str
    session: Session | None = None
    token: ApiToken | None = None
    #: The account's password was generated or reset: only the password page is open.
    must_change_password: bool = False

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token if self.session else ""


class RoleRequirement:
    """A route dependency: authenticates, admits ``roles`` (admins always), checks CSRF.

    CSRF applies to state changes made with a session cookie: the token comes in the
    ``X-CSRF-Token`` header or the form's ``csrf_token`` field. Bearer tokens are not sent by
    browsers on their own, so requests made with them need none.
    """

    def __init__(self, *roles: Role, before_password_change: bool = False) -> None:
        self.roles = frozenset((*roles, Role.admin))
        #: Admits a session whose password must still be changed (the password page, logout).
        self.before_password_change = before_password_change

    def __repr__(self) -> str:
        return f"RoleRequirement({', '.join(sorted(self.roles))})"

    async def __call__(self, request: Request) -> Principal:
        # The store lookups block (Elasticsearch is a network call): off the event loop.
        principal = await run_in_threadpool(authenticate, triage_context(request), request)
        if principal is None:
            raise NotAuthenticatedError("log in first")
        if principal.must_change_password and not self.before_password_change:
            raise PasswordChangeRequiredError("change the generated password first")
        if principal.role not in self.roles:
            raise ForbiddenError(f"the role {principal.role.value} may not do this")
        if request.method not in SAFE_METHODS and principal.session is not None:
            await _check_csrf(request, principal.session)
        request.state.principal = principal
        return principal


def public_route() -> None:
    """Declares a route anyone may call (only the login form and its post)."""


def authenticate(ctx: TriageContext, request: Request) -> Principal | None:
    header = request.headers.get("authorization", "")
    if request.url.path.startswith(API_PREFIX) and header[:7].lower() == "bearer ":
        token = ctx.tokens.resolve(header[7:].strip())
        if token is None:
            return None
        return Principal(f"token:{token.id}", token.role, token.name, token=token)
    session = ctx.sessions.resolve(request.cookies.get(ctx.sessions.cookie_name))
    if session is None:
        return None
    user = ctx.triage.get_user(session.username)
    if user is None or user.disabled:
        ctx.sessions.close(session)
        return None
    # The role is read from the account on every request, so a demotion applies at once.
    return Principal(
        user.username,
        user.role,
        user.display_name,
        session=session,
        must_change_password=user.must_change_password,
    )


async def _check_csrf(request: Request, session: Session) -> None:
    sent: Any = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(
        sent.encode(), session.csrf_token.encode()
    ):
        raise CsrfError("the form is stale or did not come from this site; reload the page")


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


Access = frozenset[Role] | Literal["public"] | None


def route_access(dependant: Dependant) -> Access:
    """The roles a route admits, ``"public"``, or None if it declares neither."""
    for call in _calls(dependant):
        if isinstance(call, RoleRequirement):
            return call.roles
        if call is public_route:
            return "public"
    return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    access: Access


def app_endpoints(app: FastAPI) -> Iterator[Endpoint]:
    """Every (method, path) the app routes to its endpoints, with its declared access.

    FastAPI keeps included routers nested; :func:`fastapi.routing.iter_route_contexts`
    yields each route as included (prefix and router dependencies applied).
    """
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            yield Endpoint(method, str(context.path), route_access(context.dependant))


#: The requirements routes use, named by who they admit (admins are always admitted).
EVERYONE = RoleRequirement(*Role)
#: Everyone, also before changing a generated password (the password page and logout).
SELF_SERVICE = RoleRequirement(*Role, before_password_change=True)
READERS = RoleRequirement(Role.analyst, Role.rule_author)
TRIAGERS = RoleRequirement(Role.analyst)
EXCEPTION_AUTHORS = RoleRequirement(Role.rule_author)
#: Who switches rules off and on (the rules page, the API).
RULE_AUTHORS = RoleRequirement(Role.rule_author)
OPERATORS = RoleRequirement(Role.ops)
ADMINS = RoleRequirement(Role.admin)
