"""``/api/v1``: who am I, the overview, users, tokens and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from alerting.triage.api.schemas import (
    Me,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from alerting.triage.auth.principal import ADMINS, EVERYONE, Principal
from alerting.triage.context import TriageContext, triage_context
from alerting.triage.errors import API_ERROR_RESPONSES
from alerting.triage.overview import Overview
from alerting.triage.queue import parse_time
from canhgac.store.triage import AuditEntry

router = APIRouter(prefix="/api/v1", responses=API_ERROR_RESPONSES)

Anyone = Annotated[Principal, Depends(EVERYONE)]
Admin = Annotated[Principal, Depends(ADMINS)]


def _ctx(request: Request) -> TriageContext:
    return triage_context(request)


Context = Annotated[TriageContext, Depends(_ctx)]


@router.get("/me", tags=["session"], summary="Who the credentials belong to")
def me(who: Anyone) -> Me:
    return Me(username=who.username, role=who.role, display_name=who.display_name)


@router.get("/overview", tags=["overview"], summary="Open alerts, MTTA/MTTR, ingest health")
def overview(ctx: Context, _: Anyone) -> Overview:
    return ctx.overview()


@router.get("/users", tags=["admin"], summary="Local accounts")
def list_users(ctx: Context, _: Admin) -> list[UserOut]:
    return [UserOut.of(user) for user in ctx.triage.list_users()]


@router.post("/users", tags=["admin"], status_code=201, summary="Add a local account")
def create_user(ctx: Context, who: Admin, body: UserIn) -> UserOut:
    user = ctx.accounts.create_user(
        body.username, body.password, body.role, display_name=body.display_name, actor=who.username
    )
    return UserOut.of(user)


@router.patch("/users/{username}", tags=["admin"], summary="Change, disable or unlock an account")
def update_user(
    ctx: Context,
    who: Admin,
    username: Annotated[str, Path(min_length=1, max_length=64)],
    body: UserPatch,
) -> UserOut:
    user = ctx.accounts.update_user(
        who.username,
        username,
        role=body.role,
        display_name=body.display_name,
        disabled=body.disabled,
        password=body.password,
        unlock=body.unlock,
    )
    return UserOut.of(user)


@router.get("/tokens", tags=["admin"], summary="API tokens (never their secrets)")
def list_tokens(ctx: Context, _: Admin) -> list[TokenOut]:
    return [TokenOut.of(token) for token in ctx.triage.list_tokens()]


@router.post("/tokens", tags=["admin"], status_code=201, summary="Issue an API token")
def create_token(ctx: Context, who: Admin, body: TokenIn) -> TokenCreated:
    expires_at = parse_time(body.expires_at) if body.expires_at else None
    secret, token = ctx.tokens.issue(
        body.name, body.role, created_by=who.username, expires_at=expires_at
    )
    return TokenCreated(**TokenOut.of(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", tags=["admin"], summary="Revoke an API token")
def revoke_token(
    ctx: Context, who: Admin, token_id: Annotated[str, Path(min_length=1, max_length=100)]
) -> TokenOut:
    return TokenOut.of(ctx.tokens.revoke(token_id, actor=who.username))


@router.get("/audit", tags=["admin"], summary="The audit log, newest first")
def list_audit(
    ctx: Context,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> list[AuditEntry]:
    return ctx.triage.list_audit(limit=limit, offset=offset, actor=actor)


@router.get("/openapi.json", tags=["meta"], summary="This document", response_model=None)
def openapi(request: Request, _: Anyone) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema)
