"""Accounts, login, sessions, CSRF and API tokens (throttling: test_triage_login_throttle)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerting.triage import create_user
from alerting.triage.auth.accounts import Accounts, LoginResult
from alerting.triage.auth.passwords import Passwords
from alerting.triage.errors import InvalidInputError
from canhgac.config import LoginConfig
from canhgac.store.triage import Role

from .conftest import CSRF_FIELD, PASSWORD, TriageEnv, csrf_of, login, make_alert

MAX_FAILURES = LoginConfig().account_free_failures


def _post_login(client: TestClient, username: str, password: str) -> object:
    form = client.get("/login")
    token = CSRF_FIELD.search(form.text)
    assert token
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )


def _actions(env: TriageEnv) -> list[str]:
    return [entry.action for entry in reversed(env.triage.list_audit(limit=1000))]


def test_passwords_are_argon2id_hashes(env: TriageEnv) -> None:
    user = env.triage.get_user("analyst")
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert env.passwords.verify(user.password_hash, PASSWORD)
    assert not env.passwords.verify(user.password_hash, PASSWORD + "x")
    assert not env.passwords.verify("not a hash", PASSWORD)


def test_create_user_for_the_cli_validates_and_audits(tmp_path: Path, env: TriageEnv) -> None:
    cheap = env.passwords
    user = create_user(
        env.triage, "tuan.le", "mật khẩu rất dài", "ops", display_name=" Lê Tuấn ", passwords=cheap
    )
    assert (user.role, user.display_name) == (Role.ops, "Lê Tuấn")
    for username, password, role, code in [
        ("Tuan", "long enough pass", "ops", "invalid_input"),
        ("tuan.le", "long enough pass", "ops", "user_exists"),
        ("new", "short", "ops", "invalid_input"),
        ("new2", "long enough pass", "root", "invalid_input"),
    ]:
        with pytest.raises(InvalidInputError) as caught:
            create_user(env.triage, username, password, role, passwords=cheap)
        assert caught.value.code == code
    created = [e for e in env.triage.list_audit() if e.action == "user.create"]
    assert created[0].actor == "cli" and created[0].target == "user:tuan.le"


def test_login_sets_a_strict_http_only_session_cookie(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        answer = _post_login(client, "analyst", PASSWORD)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/alerts"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("canhgac_session=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        assert client.get("/alerts").status_code == 200


def test_behind_tls_the_cookie_is_secure_and_host_prefixed(env: TriageEnv) -> None:
    app = env.app(secure_cookies=True)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        answer = _post_login(client, "ops", PASSWORD)
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("__Host-canhgac_session=") and "Secure" in cookie
        assert answer.headers["location"] == "/overview"  # ops lands on the overview
        page = client.get("/overview")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"].startswith("max-age=")


def _cookie_attributes(header: str) -> tuple[str, set[str]]:
    """The cookie's name and its attributes, lowercased (``secure``, ``path=/`` ...)."""
    name, *attributes = [part.strip() for part in header.split(";")]
    return name.split("=")[0], {a.lower() for a in attributes}


def test_behind_tls_the_login_csrf_cookie_is_host_prefixed(env: TriageEnv) -> None:
    app = env.app(secure_cookies=True)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        name, attributes = _cookie_attributes(client.get("/login").headers["set-cookie"])
        # What browsers demand of __Host-: Secure, Path=/, no Domain.
        assert name == "__Host-canhgac_login_csrf"
        assert {"secure", "httponly", "path=/"} <= attributes
        assert not any(a.startswith("domain") for a in attributes)
        answer = _post_login(client, "analyst", PASSWORD)
        assert answer.status_code == 303  # the form reads the prefixed cookie back
        cleared = answer.headers.get_list("set-cookie")
        assert any(c.startswith("__Host-canhgac_login_csrf=") and "Secure" in c for c in cleared)


def test_over_plain_http_the_cookies_keep_bare_names_without_secure(env: TriageEnv) -> None:
    # Browsers drop a __Host- cookie that is not Secure, and Secure cookies set over http://
    # (except, in some browsers, on localhost): prefixing here would make logging in fail.
    with TestClient(env.app(), follow_redirects=False) as client:
        name, attributes = _cookie_attributes(client.get("/login").headers["set-cookie"])
        assert name == "canhgac_login_csrf" and "secure" not in attributes
        assert _post_login(client, "analyst", PASSWORD).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_answer(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        wrong = _post_login(client, "analyst", "wrong password!")
        unknown = _post_login(client, "nobody", "wrong password!")
        assert wrong.status_code == unknown.status_code == 401
        message = "Tên đăng nhập hoặc mật khẩu không đúng."
        assert message in wrong.text and message in unknown.text
        assert (
            "set-cookie" not in wrong.headers
            or "canhgac_session" not in wrong.headers["set-cookie"]
        )


def test_failures_below_the_limit_reset_on_success(env: TriageEnv) -> None:
    accounts = Accounts(env.triage, env.passwords, env.clock)
    for _ in range(MAX_FAILURES - 1):
        assert accounts.login("analyst", "nope").result is LoginResult.invalid
    assert accounts.login("analyst", PASSWORD).result is LoginResult.ok
    for _ in range(MAX_FAILURES - 1):
        accounts.login("analyst", "nope")
    assert accounts.login("analyst", PASSWORD).result is LoginResult.ok


def test_disabled_accounts_cannot_log_in_and_lose_their_sessions(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        login(client, "analyst")
        user = env.triage.get_user("analyst")
        assert user is not None
        env.triage.save_user(user.model_copy(update={"disabled": True}))
        assert client.get("/alerts").status_code == 303
        assert _post_login(client, "analyst", PASSWORD).status_code == 401


def test_a_role_change_applies_to_open_sessions(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        login(client, "analyst")
        assert client.get("/alerts").status_code == 200
        user = env.triage.get_user("analyst")
        assert user is not None
        env.triage.save_user(user.model_copy(update={"role": Role.ops}))
        assert client.get("/alerts").status_code == 403


def test_login_form_needs_its_csrf_cookie(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        answer = client.post(
            "/login", data={"username": "analyst", "password": PASSWORD, "csrf_token": "forged"}
        )
        assert answer.status_code == 403
        assert env.triage.get_user("analyst") is not None
        assert "auth.login" not in _actions(env)


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/alerts?host=web-01", "/alerts?host=web-01"),
        ("//evil.example/", "/alerts"),
        ("https://evil.example/", "/alerts"),
        ("/\\evil.example", "/alerts"),
        ("/login", "/alerts"),
    ],
)
def test_login_returns_only_to_local_pages(env: TriageEnv, target: str, landing: str) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        form = client.get("/login")
        token = CSRF_FIELD.search(form.text)
        assert token
        answer = client.post(
            "/login",
            data={
                "username": "analyst",
                "password": PASSWORD,
                "csrf_token": token.group(1),
                "next": target,
            },
        )
        assert answer.headers["location"] == landing


def test_anonymous_pages_redirect_to_login_with_the_way_back(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        answer = client.get("/alerts?host=web-01")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Falerts%3Fhost%3Dweb-01"


def test_logout_kills_the_session_server_side(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        csrf = login(client, "analyst")
        stolen = dict(client.cookies)
        answer = client.post("/logout", data={"csrf_token": csrf})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    with TestClient(env.app(), follow_redirects=False, cookies=stolen) as replay:
        assert replay.get("/alerts").status_code == 303
    assert "auth.logout" in _actions(env)


def test_sessions_expire(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        login(client, "analyst")
        env.clock.advance(env.settings.web.session_lifetime + timedelta(seconds=1))
        assert client.get("/alerts").status_code == 303


def test_state_changes_need_the_session_csrf_token(env: TriageEnv) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    with TestClient(env.app(), follow_redirects=False) as client:
        csrf = login(client, "analyst")
        assert client.post("/alerts/a1/acknowledge").status_code == 403
        forged = client.post("/alerts/a1/acknowledge", data={"csrf_token": "x" * len(csrf)})
        assert forged.status_code == 403 and "Biểu mẫu đã hết hạn" in forged.text
        api = client.post("/api/v1/alerts/a1/acknowledge")
        assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
        alert = env.store.get_alert("a1")
        assert alert is not None and alert.status.value == "new"
        ok = client.post("/api/v1/alerts/a1/acknowledge", headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"


def test_each_session_has_its_own_csrf_token(env: TriageEnv) -> None:
    with (
        TestClient(env.app(), follow_redirects=False) as one,
        TestClient(env.app(), follow_redirects=False) as two,
    ):
        assert login(one, "analyst") != login(two, "analyst")
        assert csrf_of(one) == csrf_of(one)


def test_api_tokens_are_role_scoped_hashed_and_revocable(env: TriageEnv) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    with TestClient(env.app(), follow_redirects=False) as admin:
        csrf = login(admin, "admin")
        created = admin.post(
            "/api/v1/tokens",
            json={"name": "SOAR", "role": "analyst"},
            headers={"X-CSRF-Token": csrf},
        )
        assert created.status_code == 201
        secret, token_id = created.json()["token"], created.json()["id"]
        listed = admin.get("/api/v1/tokens").json()
        assert [t["id"] for t in listed] == [token_id] and "token" not in listed[0]

    raw = b"".join(p.read_bytes() for p in env.tmp_path.glob("canhgac.db*"))
    assert secret.encode() not in raw

    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(env.app(), follow_redirects=False) as integration:
        assert integration.get("/api/v1/me", headers=bearer).json()["role"] == "analyst"
        ack = integration.post("/api/v1/alerts/a1/acknowledge", headers=bearer)
        assert ack.status_code == 200  # no CSRF: a bearer token is not ambient
        assert integration.get("/api/v1/users", headers=bearer).status_code == 403
        assert integration.get("/alerts", headers=bearer).status_code == 303  # not for pages
        with TestClient(env.app(), follow_redirects=False) as admin:
            csrf = login(admin, "admin")
            revoked = admin.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": csrf})
            assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        gone = integration.get("/api/v1/me", headers=bearer)
        assert gone.status_code == 401 and gone.json()["error"]["code"] == "not_authenticated"
    history = env.triage.list_status_changes("a1")
    assert history[0].actor == f"token:{token_id}"
    assert {"token.create", "token.revoke"} <= set(_actions(env))


def test_expired_tokens_are_refused(env: TriageEnv) -> None:
    expires = (env.clock.now + timedelta(hours=1)).isoformat()
    with TestClient(env.app(), follow_redirects=False) as admin:
        csrf = login(admin, "admin")
        secret = admin.post(
            "/api/v1/tokens",
            json={"name": "short", "role": "ops", "expires_at": expires},
            headers={"X-CSRF-Token": csrf},
        ).json()["token"]
        bearer = {"Authorization": f"Bearer {secret}"}
        assert admin.get("/api/v1/overview", headers=bearer).status_code == 200
        env.clock.advance(timedelta(hours=1, seconds=1))
        # Refused, and not silently replaced by the session this client also holds.
        assert admin.get("/api/v1/me", headers=bearer).status_code == 401
        assert admin.get("/api/v1/me").json()["username"] == "admin"


def test_the_decoy_check_costs_a_real_verification(env: TriageEnv) -> None:
    # An unknown username still runs one argon2 verification (constant-ish timing).
    calls: list[str] = []

    class Counting(Passwords):
        def verify(self, password_hash: str, password: str) -> bool:
            calls.append(password_hash)
            return super().verify(password_hash, password)

    accounts = Accounts(env.triage, Counting(env.passwords._hasher), env.clock)
    assert accounts.login("nobody", "whatever").result is LoginResult.invalid
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_admins_change_disable_and_unlock_accounts_through_the_api(env: TriageEnv) -> None:
    accounts = Accounts(env.triage, env.passwords, env.clock)
    for _ in range(MAX_FAILURES):
        accounts.login("analyst", "wrong password!")
    with (
        TestClient(env.app(), follow_redirects=False) as admin,
        TestClient(env.app(), follow_redirects=False) as analyst2,
    ):
        csrf = login(admin, "admin")
        login(analyst2, "analyst2")
        headers = {"X-CSRF-Token": csrf}
        unlocked = admin.patch("/api/v1/users/analyst", json={"unlock": True}, headers=headers)
        assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
        assert accounts.login("analyst", PASSWORD).result is LoginResult.ok

        promoted = admin.patch(
            "/api/v1/users/analyst2",
            json={"role": "rule_author", "display_name": "Trần Thị B"},
            headers=headers,
        )
        assert promoted.json()["role"] == "rule_author"
        assert analyst2.get("/alerts/a/exception").status_code == 404  # now an author
        disabled = admin.patch("/api/v1/users/analyst2", json={"disabled": True}, headers=headers)
        assert disabled.json()["disabled"] is True
        assert analyst2.get("/alerts").status_code == 303  # its session ended
        assert env.triage.delete_sessions(username="analyst2") == 0

        # The only admin cannot demote or disable itself; unknown users are 404.
        last = admin.patch("/api/v1/users/admin", json={"role": "analyst"}, headers=headers)
        assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"
        unknown = admin.patch("/api/v1/users/nobody", json={"unlock": True}, headers=headers)
        assert unknown.status_code == 404
    [entry, *_] = env.triage.list_audit(actor="admin")
    assert entry.action == "user.update" and entry.before is not None and entry.after is not None
    assert (entry.before["disabled"], entry.after["disabled"]) == (False, True)
    assert "password_hash" not in entry.before
