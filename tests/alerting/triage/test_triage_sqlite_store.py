"""The SQLite triage store: accounts, sessions, tokens, history, comments and audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.errors import StoreError
from canhgac.models import AlertStatus, Severity
from canhgac.store.sqlite import SQLiteStore
from canhgac.store.sqlite_triage import SQLiteTriageStore
from canhgac.store.triage import (
    ApiToken,
    AuditEntry,
    CloseReason,
    Comment,
    Role,
    Session,
    StatusChange,
    TriageRecord,
    User,
)

T0 = "2026-11-27T10:00:00.000000Z"
T1 = "2026-11-27T11:00:00.000000Z"
T2 = "2026-11-28T10:00:00.000000Z"


@pytest.fixture
def triage(tmp_path: Path) -> SQLiteTriageStore:
    store = SQLiteTriageStore(tmp_path / "t.db")
    yield store  # type: ignore[misc]
    store.close()


def _user(name: str = "lan", role: Role = Role.analyst) -> User:
    return User(username=name, role=role, password_hash="h", created_at=T0, updated_at=T0)


def _change(alert_id: str, at: str, created: str, to: AlertStatus) -> StatusChange:
    return StatusChange(
        alert_id=alert_id,
        at=at,
        actor="lan",
        from_status=AlertStatus.new,
        to_status=to,
        severity=Severity.high,
        alert_created_at=created,
        reason=CloseReason.benign if to is AlertStatus.closed else None,
    )


def test_users_are_added_once_and_saved(triage: SQLiteTriageStore) -> None:
    assert triage.add_user(_user("lan"))
    assert not triage.add_user(_user("lan", Role.admin))
    assert triage.get_user("lan") == _user("lan")
    locked = _user("lan").model_copy(update={"failed_logins": 3, "locked_until": T1})
    triage.save_user(locked)
    assert triage.get_user("lan") == locked
    triage.add_user(_user("an"))
    assert [u.username for u in triage.list_users()] == ["an", "lan"]
    assert triage.get_user("nobody") is None


def test_sessions_are_found_by_hash_and_deleted_by_user_or_expiry(
    triage: SQLiteTriageStore,
) -> None:
    def session(key: str, user: str, expires: str) -> Session:
        return Session(
            id_hash=key, username=user, csrf_token="c", created_at=T0, expires_at=expires
        )

    triage.add_session(session("s1", "lan", T1))
    triage.add_session(session("s2", "lan", T2))
    triage.add_session(session("s3", "an", T2))
    assert triage.get_session("s1") == session("s1", "lan", T1)
    assert triage.delete_sessions(expired_at=T1) == 1
    assert triage.get_session("s1") is None
    assert triage.delete_sessions(username="lan") == 1
    assert triage.get_session("s3") is not None
    assert triage.delete_sessions() == 0  # no criteria deletes nothing
    triage.delete_session("s3")
    assert triage.get_session("s3") is None


def test_tokens_round_trip_newest_first(triage: SQLiteTriageStore) -> None:
    old = ApiToken(
        id="a", name="siem", role=Role.analyst, token_hash="h1", created_by="x", created_at=T0
    )
    new = old.model_copy(update={"id": "b", "token_hash": "h2", "created_at": T1})
    triage.add_token(old)
    triage.add_token(new)
    assert [t.id for t in triage.list_tokens()] == ["b", "a"]
    triage.save_token(old.model_copy(update={"revoked_at": T1}))
    assert triage.get_token("h1") == old.model_copy(update={"revoked_at": T1})
    assert triage.get_token("nope") is None


def test_record_is_atomic(triage: SQLiteTriageStore) -> None:
    comment = Comment(id="c1", alert_id="a1", author="lan", text="xem lại", created_at=T0)
    triage.record(TriageRecord(comments=[comment]))
    duplicate = TriageRecord(
        status_changes=[_change("a1", T1, T0, AlertStatus.acknowledged)],
        comments=[comment],  # same id: the whole record must be refused
        audit=[AuditEntry(at=T1, actor="lan", action="alert.comment")],
    )
    with pytest.raises(StoreError):
        triage.record(duplicate)
    assert triage.list_status_changes("a1") == []
    assert triage.list_audit() == []
    assert triage.list_comments("a1") == [comment]


def test_history_and_audit_order(triage: SQLiteTriageStore) -> None:
    triage.record(
        TriageRecord(
            status_changes=[
                _change("a1", T1, T0, AlertStatus.acknowledged),
                _change("a2", T2, T1, AlertStatus.closed),
            ],
            audit=[
                AuditEntry(at=T0, actor="lan", action="one"),
                AuditEntry(at=T1, actor="an", action="two", before={"s": 1}, after={"s": 2}),
                AuditEntry(at=T2, actor="lan", action="three"),
            ],
        )
    )
    assert [c.alert_id for c in triage.status_changes_since(T1)] == ["a2"]
    assert [c.alert_id for c in triage.status_changes_since(T0)] == ["a1", "a2"]
    assert [e.action for e in triage.list_audit()] == ["three", "two", "one"]
    assert [e.action for e in triage.list_audit(actor="lan")] == ["three", "one"]
    assert [e.action for e in triage.list_audit(limit=1, offset=1)] == ["two"]
    two = triage.list_audit(actor="an")[0]
    assert (two.before, two.after) == ({"s": 1}, {"s": 2})
    assert two.seq is not None


def test_shares_the_event_store_file_without_touching_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "canhgac.db"
    store = SQLiteStore(path)
    triage = SQLiteTriageStore(path)
    try:
        triage.add_user(_user())
        assert store.count_events() == 0
        assert triage.get_user("lan") is not None
    finally:
        triage.close()
        store.close()
