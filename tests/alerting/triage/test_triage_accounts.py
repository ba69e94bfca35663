"""The accounts page: admins manage users and API tokens from the web UI, with the same rules
(validation, last admin, audit) as the REST API, and a token's secret shown only once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import PASSWORD, ClientFor, TriageEnv, login

HOSTILE = '<img src=x onerror="alert(1)">Nguyễn'


def _notice(answer: object) -> str:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith("/accounts?notice=")
    return str(location.split("=", 1)[1])


def test_an_admin_adds_a_user_who_can_then_log_in(env: TriageEnv, client_for: ClientFor) -> None:
    admin, csrf = client_for("admin")
    form = {"username": "tuan.le", "display_name": HOSTILE, "role": "analyst", "password": PASSWORD}
    answer = admin.post("/accounts/users", data={**form, "csrf_token": csrf})
    assert _notice(answer) == "done_user_add"
    page = admin.get("/accounts")
    assert page.status_code == 200 and 'id="user-tuan.le"' in page.text
    assert HOSTILE not in page.text and "&lt;img src=x" in page.text  # escaped, never markup
    assert "user:tuan.le" in [e.target for e in env.triage.list_audit(limit=10)]

    again = admin.post("/accounts/users", data={**form, "csrf_token": csrf})
    assert _notice(again) == "user_exists"
    bad = admin.post("/accounts/users", data={**form, "username": "<b>x</b>", "csrf_token": csrf})
    assert _notice(bad) == "invalid_input" and "<b>" not in bad.headers["location"]

    with TestClient(env.app(), follow_redirects=False) as fresh:
        login(fresh, "tuan.le")
        assert fresh.get("/alerts").status_code == 200


def test_role_changes_disabling_and_the_last_admin(env: TriageEnv, client_for: ClientFor) -> None:
    admin, csrf = client_for("admin")
    analyst, _ = client_for("analyst")
    to_author = {"change": "role", "role": "rule_author", "csrf_token": csrf}
    assert _notice(admin.post("/accounts/users/analyst", data=to_author)) == "done_user_change"
    assert env.triage.get_user("analyst").role.value == "rule_author"  # type: ignore[union-attr]

    disable = {"change": "disable", "csrf_token": csrf}
    assert _notice(admin.post("/accounts/users/analyst", data=disable)) == "done_user_change"
    assert analyst.get("/alerts").status_code == 303  # its session ended
    enable = {"change": "enable", "csrf_token": csrf}
    assert _notice(admin.post("/accounts/users/analyst", data=enable)) == "done_user_change"
    assert env.triage.get_user("analyst").disabled is False  # type: ignore[union-attr]

    assert _notice(admin.post("/accounts/users/admin", data=disable)) == "last_admin"
    assert _notice(admin.post("/accounts/users/nobody", data=disable)) == "not_found"
    no_role = {"change": "role", "csrf_token": csrf}
    assert _notice(admin.post("/accounts/users/ops", data=no_role)) == "invalid_input"
    # Without the form's CSRF token nothing changes.
    refused = admin.post("/accounts/users/ops", data={"change": "disable"})
    assert refused.status_code == 403
    assert env.triage.get_user("ops").disabled is False  # type: ignore[union-attr]


def test_a_token_secret_is_shown_once_works_and_stops_when_revoked(
    env: TriageEnv, client_for: ClientFor
) -> None:
    admin, csrf = client_for("admin")
    issued = admin.post(
        "/accounts/tokens", data={"name": "SIEM export", "role": "ops", "csrf_token": csrf}
    )
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    found = re.search(r'<code id="token-value">([^<]+)</code>', issued.text)
    assert found is not None
    secret = found.group(1)
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(env.app()) as api:
        assert api.get("/api/v1/me", headers=bearer).json()["role"] == "ops"
        page = admin.get("/accounts")
        assert secret not in page.text and "SIEM export" in page.text
        [token] = env.triage.list_tokens()
        revoked = admin.post(f"/accounts/tokens/{token.id}/revoke", data={"csrf_token": csrf})
        assert _notice(revoked) == "done_token_revoke"
        assert api.get("/api/v1/me", headers=bearer).status_code == 401

    late = admin.post(
        "/accounts/tokens",
        data={"name": "x", "role": "ops", "expires_at": "not a time", "csrf_token": csrf},
    )
    assert _notice(late) == "invalid_input"


def test_the_page_offers_every_role_and_shows_each_users_own(client_for: ClientFor) -> None:
    admin, _ = client_for("admin")
    page = admin.get("/accounts").text
    row = page[page.index('id="user-author"') :]
    row = row[: row.index("</tr>")]
    assert '<option value="rule_author" selected>' in row
    # The role menus of the two forms list every role too.
    for form in ('id="add-user"', 'id="issue-token"'):
        part = page[page.index(form) :]
        part = part[: part.index("</form>")]
        assert part.count("<option value=") == 4
