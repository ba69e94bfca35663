"""Generated passwords are changed at the first login (then the initial file is deleted), and
``canhgac users unlock|reset-password`` work from the console."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alerting.triage.app import INITIAL_PASSWORD_FILE, create_app
from canhgac.cli import app as cli
from canhgac.cli.runtime import ensure_first_admin
from canhgac.store.sqlite.triage import SQLiteTriageStore

from .conftest import CSRF_FIELD, PASSWORD, TriageEnv

NEW_PASSWORD = "một mật khẩu mới của tôi"
runner = CliRunner()


def _post_login(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/login")
    token = CSRF_FIELD.search(form.text)
    assert token
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data)


def _csrf(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match
    return match.group(1)


def test_the_first_admin_must_change_the_generated_password(env: TriageEnv) -> None:
    data = env.tmp_path / "fresh"
    triage = SQLiteTriageStore(data / "triage.db")
    try:
        ensure_first_admin(triage, data)
        secret_file = data / INITIAL_PASSWORD_FILE
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        generated = secret_file.read_text(encoding="utf-8").strip()
        settings = env.settings.model_copy(update={"data_dir": str(data)})
        app = create_app(env.store, triage, settings, clock=env.clock, passwords=env.passwords)
        with TestClient(app, follow_redirects=False) as client:
            answer = _post_login(client, "admin", generated)
            assert answer.status_code == 303 and answer.headers["location"] == "/password"
            # Nothing else opens before the change: pages redirect, the API says why.
            assert client.get("/alerts").headers["location"] == "/password"
            api = client.get("/api/v1/me")
            assert api.status_code == 403
            assert api.json()["error"]["code"] == "password_change_required"
            form = client.get("/password")
            assert form.status_code == 200 and 'id="password-required"' in form.text
            csrf = _csrf(form.text)
            fields = {"csrf_token": csrf, "current": generated}
            mismatch = client.post(
                "/password", data={**fields, "new": NEW_PASSWORD, "confirm": "x"}
            )
            assert mismatch.status_code == 422 and secret_file.exists()
            same = client.post("/password", data={**fields, "new": generated, "confirm": generated})
            assert same.status_code == 422
            changed = client.post(
                "/password", data={**fields, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
            )
            assert changed.status_code == 303 and changed.headers["location"] == "/alerts"
            assert not secret_file.exists()
            assert client.get("/alerts").status_code == 200
        user = triage.get_user("admin")
        assert user is not None and not user.must_change_password
        actions = [e.action for e in triage.list_audit()]
        assert {"user.password_change", "user.initial_password_deleted"} <= set(actions)
    finally:
        triage.close()


def test_a_wrong_current_password_changes_nothing(env: TriageEnv) -> None:
    with TestClient(env.app(), follow_redirects=False) as client:
        assert _post_login(client, "ops", PASSWORD).status_code == 303
        csrf = _csrf(client.get("/password").text)
        fields = {"csrf_token": csrf, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        wrong = client.post("/password", data={**fields, "current": "not my password"})
        assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng" in wrong.text
        forged = client.post("/password", data={**fields, "current": PASSWORD, "csrf_token": "x"})
        assert forged.status_code == 403
    user = env.triage.get_user("ops")
    assert user is not None and env.passwords.verify(user.password_hash, PASSWORD)


def _config(env: TriageEnv) -> Path:
    path = env.tmp_path / "canhgac.yaml"
    db = env.tmp_path / "canhgac.db"
    path.write_text(f"data_dir: {env.tmp_path}\nstore:\n  path: {db}\n", encoding="utf-8")
    return path


def test_users_unlock_and_reset_password_from_the_console(env: TriageEnv) -> None:
    app = env.app()
    accounts = app.state.triage.accounts
    for n in range(8):
        accounts.login("analyst", "wrong password!", source_ip=f"192.0.2.{n}")
    assert accounts.login("analyst", PASSWORD, source_ip="10.0.0.1").result.value == "throttled"
    config = _config(env)
    unlocked = runner.invoke(cli, ["users", "unlock", "analyst", "--config", str(config)])
    assert unlocked.exit_code == 0, unlocked.output
    assert accounts.login("analyst", PASSWORD, source_ip="10.0.0.1").result.value == "ok"

    with TestClient(app, follow_redirects=False) as browser:
        assert _post_login(browser, "analyst", PASSWORD).status_code == 303
        args = ["users", "reset-password", "analyst", "--config", str(config)]
        reset = runner.invoke(cli, args, input=f"{NEW_PASSWORD}\n")
        assert reset.exit_code == 0, reset.output
        assert browser.get("/alerts").status_code == 303  # its session ended
        answer = _post_login(browser, "analyst", NEW_PASSWORD)
        assert answer.headers["location"] == "/password"
    unknown = runner.invoke(cli, ["users", "unlock", "nobody", "--config", str(config)])
    assert unknown.exit_code != 0 and "no user 'nobody'" in str(unknown.exception)
