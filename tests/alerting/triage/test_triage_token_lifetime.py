"""API tokens expire by default, cannot outlive the maximum, and die with their issuer's role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerting.triage.auth.tokens import Tokens
from canhgac.config import TokenConfig
from canhgac.store.triage import Role
from canhgac.timeutil import from_iso, to_iso

from .conftest import TriageEnv, login

LIFETIMES = TokenConfig()


def _issue(admin: TestClient, csrf: str, **body: object) -> Any:
    json = {"name": "SOAR", **body}
    return admin.post("/api/v1/tokens", json=json, headers={"X-CSRF-Token": csrf})


def test_a_disabled_issuers_token_stops_working(env: TriageEnv) -> None:
    # The finding: a token of an admin later disabled still worked and created a new admin.
    env.add_user("admin2", Role.admin)
    with TestClient(env.app(), follow_redirects=False) as second:
        csrf = login(second, "admin2")
        secret = _issue(second, csrf, role="admin").json()["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(env.app(), follow_redirects=False) as integration:
        assert integration.get("/api/v1/me", headers=bearer).status_code == 200
        with TestClient(env.app(), follow_redirects=False) as admin:
            csrf = login(admin, "admin")
            disabled = admin.patch(
                "/api/v1/users/admin2", json={"disabled": True}, headers={"X-CSRF-Token": csrf}
            )
            assert disabled.status_code == 200
        new_admin = {"username": "mallory", "password": "x" * 20, "role": "admin"}
        refused = integration.post("/api/v1/users", json=new_admin, headers=bearer)
        assert refused.status_code == 401
        assert env.triage.get_user("mallory") is None


def test_a_demoted_issuers_token_stops_working(env: TriageEnv) -> None:
    env.add_user("admin2", Role.admin)
    tokens = env.app().state.triage.tokens
    secret, _ = tokens.issue("reader", Role.analyst, created_by="admin2")
    assert tokens.resolve(secret) is not None
    user = env.triage.get_user("admin2")
    assert user is not None
    env.triage.save_user(user.model_copy(update={"role": Role.analyst}))
    assert tokens.resolve(secret) is None
    env.triage.save_user(user)  # an admin again: the token works again (it was not revoked)
    assert tokens.resolve(secret) is not None


def test_tokens_get_the_default_lifetime_and_no_more_than_the_maximum(env: TriageEnv) -> None:
    now = env.clock.now
    with TestClient(env.app(), follow_redirects=False) as admin:
        csrf = login(admin, "admin")
        default = _issue(admin, csrf, role="ops").json()
        assert from_iso(default["expires_at"]) == now + LIFETIMES.default_lifetime
        far = to_iso(now + timedelta(days=9999))
        refused = _issue(admin, csrf, role="ops", expires_at=far)
        assert refused.status_code == 422
        assert "at most 365 days" in refused.json()["error"]["message"]
        past = _issue(admin, csrf, role="ops", expires_at=to_iso(now - timedelta(hours=1)))
        assert past.status_code == 422
        longest = to_iso(now + LIFETIMES.max_lifetime)
        assert _issue(admin, csrf, role="ops", expires_at=longest).status_code == 201
        page = admin.post(
            "/accounts/tokens",
            data={"name": "x", "role": "ops", "expires_at": far, "csrf_token": csrf},
        )
        assert page.headers["location"] == "/accounts?notice=token_expiry"
    secret = default["token"]
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(env.app(), follow_redirects=False) as integration:
        env.clock.advance(LIFETIMES.default_lifetime - timedelta(seconds=1))
        assert integration.get("/api/v1/me", headers=bearer).status_code == 200
        env.clock.advance(timedelta(seconds=2))
        assert integration.get("/api/v1/me", headers=bearer).status_code == 401


@pytest.mark.parametrize("stored_expiry", [None, "9999-01-01T00:00:00.000000Z"])
def test_older_tokens_are_held_to_the_maximum_too(
    env: TriageEnv, stored_expiry: str | None
) -> None:
    tokens = Tokens(env.triage, env.clock)
    secret, token = tokens.issue("legacy", Role.ops, created_by="admin")
    # As stored before lifetimes existed: no expiry, or one 9999 days away.
    env.triage.save_token(token.model_copy(update={"expires_at": stored_expiry}))
    env.clock.advance(LIFETIMES.max_lifetime - timedelta(seconds=1))
    assert tokens.resolve(secret) is not None
    env.clock.advance(timedelta(seconds=2))
    assert tokens.resolve(secret) is None


def test_lifetimes_are_configurable(env: TriageEnv) -> None:
    short = TokenConfig(default_lifetime=timedelta(days=1), max_lifetime=timedelta(days=7))
    app = env.app(tokens=short)
    _, token = app.state.triage.tokens.issue("day", Role.ops, created_by="admin")
    assert token.expires_at == to_iso(env.clock.now + timedelta(days=1))
