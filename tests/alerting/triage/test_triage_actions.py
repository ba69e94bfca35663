"""Acknowledge, assign, comment, close, reopen and bulk actions: service, pages and API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.triage.actions import BulkAction, TriageActions
from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from canhgac.models import AlertStatus, Notification
from canhgac.store.triage import CloseReason
from canhgac.timeutil import to_iso

from .conftest import ClientFor, TriageEnv, make_alert


@pytest.fixture
def actions(env: TriageEnv) -> TriageActions:
    for i in range(1, 5):
        env.add_alert(make_alert(f"a{i}", env.clock.now - timedelta(minutes=i)))
    return TriageActions(env.store, env.triage, assign_channel="console", clock=env.clock)


def _status(env: TriageEnv, alert_id: str) -> str:
    alert = env.store.get_alert(alert_id)
    assert alert is not None
    return alert.status.value


def test_acknowledge_records_history_and_audit(env: TriageEnv, actions: TriageActions) -> None:
    env.clock.advance(timedelta(minutes=5))
    alert = actions.acknowledge("analyst", "a1")
    assert alert.status is AlertStatus.acknowledged and _status(env, "a1") == "acknowledged"
    (change,) = env.triage.list_status_changes("a1")
    assert (change.actor, change.from_status, change.to_status) == (
        "analyst",
        AlertStatus.new,
        AlertStatus.acknowledged,
    )
    assert change.at == to_iso(env.clock.now)
    (audit,) = env.triage.list_audit(actor="analyst")
    assert audit.action == "alert.acknowledge" and audit.target == "alert:a1"
    assert audit.before == {"status": "new", "assignee": None, "close_reason": None}
    assert audit.after == {"status": "acknowledged", "assignee": None, "close_reason": None}
    with pytest.raises(ConflictError):
        actions.acknowledge("analyst", "a1")
    with pytest.raises(NotFoundError):
        actions.acknowledge("analyst", "nope")


def test_assign_acknowledges_and_rearms_the_notification(
    env: TriageEnv, actions: TriageActions
) -> None:
    env.store.enqueue_notifications("a1", ["console"])
    sent = Notification(
        alert_id="a1",
        channel="console",
        status="sent",
        attempts=1,
        updated_at=to_iso(env.clock.now),
    )
    env.store.mark_notification(sent)
    alert = actions.assign("analyst", "a1", "analyst2")
    assert (alert.assignee, alert.status) == ("analyst2", AlertStatus.acknowledged)
    (note,) = env.store.list_notifications("a1")
    assert (note.status, note.attempts, note.last_error) == ("pending", 0, None)
    assert [n.alert_id for n in env.store.pending_notifications()] == ["a1"]
    actions.assign("analyst", "a2", "analyst2")  # no row yet: one is enqueued
    assert [n.channel for n in env.store.list_notifications("a2")] == ["console"]
    with pytest.raises(InvalidInputError):
        actions.assign("analyst", "a3", "ghost")
    assert env.store.list_notifications("a3") == []


def test_assignment_without_a_channel_notifies_nobody(env: TriageEnv) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    quiet = TriageActions(env.store, env.triage, assign_channel=None, clock=env.clock)
    quiet.assign("analyst", "a1", "analyst2")
    assert env.store.list_notifications("a1") == []


def test_close_and_reopen(env: TriageEnv, actions: TriageActions) -> None:
    closed = actions.close("analyst", "a1", CloseReason.false_positive, " quét định kỳ ")
    assert (closed.status, closed.close_reason) == (AlertStatus.closed, "false_positive")
    assert [c.text for c in env.triage.list_comments("a1")] == ["quét định kỳ"]
    with pytest.raises(ConflictError):
        actions.close("analyst", "a1", CloseReason.benign)
    with pytest.raises(ConflictError):
        actions.assign("analyst", "a1", "analyst2")
    reopened = actions.reopen("analyst2", "a1")
    assert (reopened.status, reopened.close_reason) == (AlertStatus.acknowledged, None)
    with pytest.raises(ConflictError):
        actions.reopen("analyst", "a1")
    history = [
        (c.from_status.value, c.to_status.value) for c in env.triage.list_status_changes("a1")
    ]
    assert history == [("new", "closed"), ("closed", "acknowledged")]
    assert env.triage.list_status_changes("a1")[0].reason is CloseReason.false_positive


def test_comments_are_bounded_and_normalized(env: TriageEnv, actions: TriageActions) -> None:
    note = actions.comment("analyst", "a1", "Nguye\u0302\u0303n  ")
    assert note.text == "Nguyễn"
    # A lone surrogate (a JSON "\ud800" escape) cannot be stored as UTF-8: replaced, kept.
    assert actions.comment("analyst", "a1", "a\ud800b").text == "a\ufffdb"
    for bad in ("", "   ", "x" * 10_001):
        with pytest.raises(InvalidInputError):
            actions.comment("analyst", "a1", bad)
    assert len(env.triage.list_comments("a1")) == 2


def test_bulk_applies_where_it_fits_and_reports_the_rest(
    env: TriageEnv, actions: TriageActions
) -> None:
    actions.acknowledge("analyst", "a2")
    outcome = actions.bulk("analyst", ["a1", "a2", "a3", "a1", "nope"], BulkAction.acknowledge)
    assert outcome.done == ["a1", "a3"]
    assert outcome.skipped == {"a2": "not_new", "nope": "not_found"}
    closed = actions.bulk("analyst", ["a1", "a4"], BulkAction.close, reason=CloseReason.benign)
    assert closed.done == ["a1", "a4"]
    assert {_status(env, a) for a in ("a1", "a4")} == {"closed"}
    with pytest.raises(InvalidInputError):
        actions.bulk("analyst", ["a2"], BulkAction.close)
    with pytest.raises(InvalidInputError):
        actions.bulk("analyst", [], BulkAction.acknowledge)
    assigned = actions.bulk("analyst", ["a2", "a3"], BulkAction.assign, assignee="analyst2")
    assert assigned.done == ["a2", "a3"]
    assert [n.alert_id for n in env.store.pending_notifications()] == ["a2", "a3"]
    audits = [e.action for e in env.triage.list_audit(limit=100)]
    assert audits.count("alert.close") == 2 and audits.count("alert.assign") == 2


# --- through the pages ------------------------------------------------------------------------
def test_page_actions_redirect_back_with_a_notice(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    client, csrf = client_for("analyst")
    ack = client.post("/alerts/a1/acknowledge", data={"csrf_token": csrf})
    assert (
        ack.status_code == 303 and ack.headers["location"] == "/alerts/a1?notice=done_acknowledge"
    )
    assert "Đã tiếp nhận cảnh báo." in client.get(ack.headers["location"]).text
    again = client.post("/alerts/a1/acknowledge", data={"csrf_token": csrf})
    assert again.headers["location"] == "/alerts/a1?notice=not_new"
    assign = client.post("/alerts/a1/assign", data={"csrf_token": csrf, "assignee": "analyst2"})
    assert assign.headers["location"].endswith("done_assign")
    empty = client.post("/alerts/a1/comment", data={"csrf_token": csrf, "text": "  "})
    assert empty.headers["location"].endswith("notice=invalid_input")
    close = client.post(
        "/alerts/a1/close", data={"csrf_token": csrf, "reason": "false_positive", "comment": "ok"}
    )
    assert close.headers["location"].endswith("done_close")
    page = client.get("/alerts/a1").text
    assert 'data-status="closed"' in page and "Báo động nhầm" in page and 'id="reopen"' in page
    reopen = client.post("/alerts/a1/reopen", data={"csrf_token": csrf})
    assert reopen.headers["location"].endswith("done_reopen")
    assert client.post("/alerts/zzz/reopen", data={"csrf_token": csrf}).status_code == 404


def test_unknown_notice_codes_are_not_shown(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    client, _ = client_for("analyst")
    page = client.get("/alerts/a1?notice=<script>").text
    assert 'id="notice"' not in page and "<script>" not in page.split("</head>")[1]


def test_bulk_form_returns_to_the_same_queue_view(env: TriageEnv, client_for: ClientFor) -> None:
    for i in range(3):
        env.add_alert(make_alert(f"a{i}", env.clock.now, snapshot={"host.name": "web-01"}))
    client, csrf = client_for("analyst")
    answer = client.post(
        "/alerts/bulk",
        data={
            "csrf_token": csrf,
            "ids": ["a0", "a1"],
            "action": "close",
            "reason": "benign",
            "back": "host=web-01&sort=oldest",
        },
    )
    location = answer.headers["location"]
    assert answer.status_code == 303
    assert (
        location.startswith("/alerts?") and "host=web-01" in location and "sort=oldest" in location
    )
    page = client.get(location).text
    assert "2 cảnh báo đã xử lý, 0 bỏ qua" in page
    assert {_status(env, "a0"), _status(env, "a1"), _status(env, "a2")} == {"closed", "new"}
    nothing = client.post("/alerts/bulk", data={"csrf_token": csrf, "action": "acknowledge"})
    assert nothing.headers["location"].endswith("notice=invalid_input")


# --- through the API --------------------------------------------------------------------------
def test_api_actions_and_error_bodies(env: TriageEnv, client_for: ClientFor) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    client, csrf = client_for("analyst")
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/v1/alerts/a1/acknowledge", headers=headers).json()["status"] == (
        "acknowledged"
    )
    conflict = client.post("/api/v1/alerts/a1/acknowledge", headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "not_new"
    assigned = client.post(
        "/api/v1/alerts/a1/assign", json={"assignee": "analyst2"}, headers=headers
    )
    assert assigned.json()["assignee"] == "analyst2"
    comment = client.post("/api/v1/alerts/a1/comments", json={"text": "xem"}, headers=headers)
    assert comment.status_code == 201 and comment.json()["author"] == "analyst"
    assert [c["text"] for c in client.get("/api/v1/alerts/a1/comments").json()] == ["xem"]
    bad = client.post("/api/v1/alerts/a1/close", json={"reason": "bored"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    extra = client.post(
        "/api/v1/alerts/a1/close", json={"reason": "benign", "x": 1}, headers=headers
    )
    assert extra.status_code == 422
    closed = client.post("/api/v1/alerts/a1/close", json={"reason": "benign"}, headers=headers)
    assert closed.json()["close_reason"] == "benign"
    assert client.post("/api/v1/alerts/a1/reopen", headers=headers).json()["status"] == (
        "acknowledged"
    )
    history = client.get("/api/v1/alerts/a1/history").json()
    assert [h["to_status"] for h in history] == ["acknowledged", "closed", "acknowledged"]
    bulk = client.post(
        "/api/v1/alerts/bulk",
        json={"ids": ["a1", "nope"], "action": "close", "reason": "true_positive"},
        headers=headers,
    )
    assert bulk.json() == {"done": ["a1"], "skipped": {"nope": "not_found"}}
    malformed = client.post(
        "/api/v1/alerts/bulk",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 422 and set(malformed.json()) == {"error"}


def test_admin_api_users_and_audit(env: TriageEnv, client_for: ClientFor) -> None:
    client, csrf = client_for("admin")
    headers = {"X-CSRF-Token": csrf}
    created = client.post(
        "/api/v1/users",
        json={"username": "hoa", "password": "một mật khẩu dài", "role": "ops"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["role"] == "ops"
    assert "password_hash" not in created.json()
    again = client.post(
        "/api/v1/users",
        json={"username": "hoa", "password": "một mật khẩu dài", "role": "ops"},
        headers=headers,
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "user_exists"
    users = client.get("/api/v1/users").json()
    assert "hoa" in [u["username"] for u in users]
    audit = client.get("/api/v1/audit?actor=admin").json()
    assert [e["action"] for e in audit][:2] == ["user.create", "auth.login"]
    page = client.get("/audit").text
    assert "user.create" in page and "user:hoa" in page
