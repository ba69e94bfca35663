"""Every triage store (accounts, sessions, tokens, history, comments, audit), one set of tests.

``sqlite`` runs on a temporary file; ``elasticsearch`` runs against the node of
``deploy/services/up`` (``CANHGAC_TEST_ES_URL``), is marked ``integration`` and FAILS when the
variable is missing. Each Elasticsearch test gets its own index prefix and deletes its indices
and templates afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.errors import StoreError
from canhgac.models import AlertStatus, Severity
from canhgac.store.elasticsearch.triage import ElasticsearchTriageStore
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.sqlite.triage import SQLiteTriageStore
from canhgac.store.triage import (
    ApiToken,
    AuditEntry,
    CloseReason,
    Comment,
    Role,
    Session,
    StatusChange,
    TriageRecord,
    TriageStore,
    User,
)

T0 = "2026-11-27T10:00:00.000000Z"
T1 = "2026-11-27T11:00:00.000000Z"
T2 = "2026-11-28T10:00:00.000000Z"
ES_HINT = "start the services with deploy/services/up and `source var/services/services.env`"


def es_config() -> ElasticsearchStoreConfig:
    """A fresh index prefix on the test node; fails the test when there is no node."""
    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail(f"CANHGAC_TEST_ES_URL is not set: {ES_HINT}", pytrace=False)
    return ElasticsearchStoreConfig(hosts=[url], index_prefix=f"cgt-{uuid.uuid4().hex[:10]}")


def _sqlite(tmp_path: Path) -> Iterator[TriageStore]:
    store = SQLiteTriageStore(tmp_path / "t.db")
    yield store
    store.close()


def _elasticsearch(tmp_path: Path) -> Iterator[TriageStore]:
    store = ElasticsearchTriageStore(es_config())
    try:
        yield store
    finally:
        store.delete_indices()
        store.close()


TRIAGE_STORES: dict[type[TriageStore], Callable[[Path], Iterator[TriageStore]]] = {
    SQLiteTriageStore: _sqlite,
    ElasticsearchTriageStore: _elasticsearch,
}


@pytest.fixture(
    params=[
        SQLiteTriageStore,
        pytest.param(ElasticsearchTriageStore, marks=pytest.mark.integration),
    ],
    ids=["sqlite", "elasticsearch"],
)
def triage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TriageStore]:
    yield from TRIAGE_STORES[request.param](tmp_path)


def test_every_triage_store_is_tested() -> None:
    assert set(TriageStore.__subclasses__()) == set(TRIAGE_STORES)


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


def test_users_are_added_once_and_saved(triage: TriageStore) -> None:
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
    triage: TriageStore,
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


def test_tokens_round_trip_newest_first(triage: TriageStore) -> None:
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


def test_record_is_atomic(triage: TriageStore) -> None:
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


def test_history_and_audit_order(triage: TriageStore) -> None:
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


def test_sqlite_shares_the_event_store_file_without_touching_its_tables(tmp_path: Path) -> None:
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


def test_comment_ids_repeated_within_a_record_are_refused(triage: TriageStore) -> None:
    comment = Comment(id="c1", alert_id="a1", author="lan", text="một", created_at=T0)
    with pytest.raises(StoreError):
        triage.record(TriageRecord(comments=[comment, comment]))
    assert triage.list_comments("a1") == []


def test_hostile_text_round_trips(triage: TriageStore) -> None:
    text = "<script>alert(1)</script> \u202e gnp.exe \x00 Tiếng Việt"
    comment = Comment(id="c9", alert_id="a<1>", author="lan", text=text, created_at=T0)
    triage.record(TriageRecord(comments=[comment]))
    assert triage.list_comments("a<1>") == [comment]


@pytest.mark.integration
def test_elasticsearch_instances_share_everything(tmp_path: Path) -> None:
    """Two web instances (two stores on one prefix) see each other's writes at once."""
    config = es_config()
    first, second = ElasticsearchTriageStore(config), ElasticsearchTriageStore(config)
    try:
        assert first.add_user(_user("lan"))
        assert not second.add_user(_user("lan", Role.admin))
        session = Session(id_hash="s", username="lan", csrf_token="c", created_at=T0, expires_at=T2)
        first.add_session(session)
        assert second.get_session("s") == session
        for store, action in ((first, "one"), (second, "two"), (first, "three")):
            store.record(TriageRecord(audit=[AuditEntry(at=T0, actor="lan", action=action)]))
        assert [e.action for e in second.list_audit()] == ["three", "two", "one"]
        assert second.delete_sessions(username="lan") == 1
        assert first.get_session("s") is None
    finally:
        first.delete_indices()
        first.close()
        second.close()
