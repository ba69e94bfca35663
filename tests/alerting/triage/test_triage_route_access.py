"""Every route of the app refuses anonymous requests and requests from roles it does not admit.

The routes are enumerated from the app itself, so a route added later is checked too, and a
route that declares no roles fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from alerting.triage.auth.principal import Access, app_endpoints
from canhgac.store.triage import Role

from .conftest import USERS, TriageEnv, login

PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login")}
ROLE_USER = {role: name for name, role in reversed(USERS.items())}


def _endpoints(app: FastAPI) -> Iterator[tuple[str, str, Access]]:
    for endpoint in app_endpoints(app):
        yield endpoint.method, endpoint.path, endpoint.access


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "missing-id", path)


def _refused_anonymous(method: str, path: str, status: int, location: str) -> bool:
    if path.startswith("/api/"):
        return status == 401
    return status == 303 and location.startswith("/login")


def test_every_route_declares_who_may_call_it(env: TriageEnv) -> None:
    app = env.app()
    undeclared = [(m, p) for m, p, access in _endpoints(app) if access is None]
    assert undeclared == []
    public = {(m, p) for m, p, access in _endpoints(app) if access == "public"}
    assert public == PUBLIC_ROUTES
    others = [
        c.original_route
        for c in iter_route_contexts(app.routes)
        if not isinstance(c.original_route, APIRoute)
    ]
    assert [(type(r), getattr(r, "path", None)) for r in others] == [(Mount, "/static")]


def test_the_route_table_is_not_empty(env: TriageEnv) -> None:
    # Guards the tests below against passing over nothing.
    endpoints = list(_endpoints(env.app()))
    assert len(endpoints) >= 25
    assert {p for _, p, _ in endpoints} >= {
        "/alerts",
        "/alerts/{alert_id}",
        "/api/v1/alerts",
        "/sources",
        "/api/v1/sources/{source_id}",
    }


def test_every_role_reads_the_data_sources(env: TriageEnv) -> None:
    # Operations fix the senders and parsers these pages point at; analysts need to know
    # which sources they are blind on: every role reads them, none changes anything there.
    sources = {(m, p): access for m, p, access in _endpoints(env.app()) if "/sources" in p}
    assert sources == dict.fromkeys(
        [
            ("GET", "/sources"),
            ("GET", "/sources/{source_id}"),
            ("GET", "/api/v1/sources"),
            ("GET", "/api/v1/sources/{source_id}"),
        ],
        frozenset(Role),
    )


def test_anonymous_requests_are_refused_everywhere(env: TriageEnv) -> None:
    app = env.app()
    with TestClient(app, follow_redirects=False) as client:
        for method, path, _ in _endpoints(app):
            if (method, path) in PUBLIC_ROUTES:
                continue
            answer = client.request(method, _url(path))
            location = answer.headers.get("location", "")
            assert _refused_anonymous(method, path, answer.status_code, location), (method, path)
            if path.startswith("/api/"):
                assert answer.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_exactly_the_routes_that_admit_it(env: TriageEnv, role: Role) -> None:
    app = env.app()
    checked = 0
    with TestClient(app, follow_redirects=False) as client:
        csrf = login(client, ROLE_USER[role])
        for method, path, access in _endpoints(app):
            if access == "public" or access is None:
                continue
            answer = client.request(method, _url(path), headers={"X-CSRF-Token": csrf})
            checked += 1
            if path == "/logout":  # admitted, and it ends the session: log in again
                assert answer.status_code == 303
                assert client.get("/api/v1/me").status_code == 401
                csrf = login(client, ROLE_USER[role])
            elif role in access:
                assert answer.status_code not in (401, 403), (role, method, path)
                assert not answer.headers.get("location", "").startswith("/login"), (method, path)
            else:
                assert answer.status_code == 403, (role, method, path, answer.status_code)
    assert checked >= 25


@pytest.mark.parametrize("role", list(Role))
def test_api_tokens_are_held_to_their_role_too(env: TriageEnv, role: Role) -> None:
    app = env.app()
    ctx = app.state.triage
    secret, _ = ctx.tokens.issue(f"token for {role}", role, created_by="admin")
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(app, follow_redirects=False) as client:
        for method, path, access in _endpoints(app):
            if not path.startswith("/api/") or access == "public" or access is None:
                continue
            answer = client.request(method, _url(path), headers=bearer)
            expected_refusal = role not in access
            assert (answer.status_code == 403) == expected_refusal, (role, method, path)
            assert answer.status_code != 401, (method, path)


def test_admins_are_admitted_by_every_requirement(env: TriageEnv) -> None:
    for _, _, access in _endpoints(env.app()):
        assert access is not None
        if access != "public":
            assert Role.admin in access
