"""Which triage store a deployment gets, and web instances sharing one on Elasticsearch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerting.triage.app import create_app
from alerting.triage.auth.accounts import Accounts
from alerting.triage.stores import build_triage_store
from canhgac.config import ElasticsearchStoreConfig, Settings, SQLiteStoreConfig, StoreConfig
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.store.elasticsearch.triage import ElasticsearchTriageStore
from canhgac.store.registry import STORES
from canhgac.store.sqlite.triage import SQLiteTriageStore
from canhgac.store.triage import Role, User
from canhgac.store.triage_registry import TRIAGE_STORES
from canhgac.timeutil import utcnow
from tests.support.registries import assert_builds_every_config_type

from .conftest import PASSWORD, cheap_passwords, login, make_alert
from .test_triage_store_contract import es_config

T0 = "2026-11-27T10:00:00.000000Z"


def test_every_store_type_has_a_triage_store() -> None:
    assert TRIAGE_STORES.names() == STORES.names()
    assert_builds_every_config_type(TRIAGE_STORES, StoreConfig)


def _user() -> User:
    return User(username="lan", role=Role.analyst, password_hash="h", created_at=T0, updated_at=T0)


def test_sqlite_deployments_keep_triage_in_the_store_file_unless_configured(
    tmp_path: Path,
) -> None:
    db = tmp_path / "canhgac.db"
    settings = Settings(data_dir=str(tmp_path), store=SQLiteStoreConfig(path=str(db)))
    triage = build_triage_store(settings)
    try:
        assert isinstance(triage, SQLiteTriageStore) and triage.path == str(db)
    finally:
        triage.close()
    elsewhere = str(tmp_path / "triage.db")
    configured = settings.model_copy(
        update={"web": settings.web.model_copy(update={"triage_db": elsewhere})}
    )
    triage = build_triage_store(configured)
    try:
        assert isinstance(triage, SQLiteTriageStore) and triage.path == elsewhere
    finally:
        triage.close()


@pytest.fixture
def es_settings(tmp_path: Path) -> Iterator[Settings]:
    config = es_config()
    yield Settings(data_dir=str(tmp_path), store=config)
    cleanup = ElasticsearchTriageStore(config)
    cleanup.delete_indices()
    cleanup.close()


@pytest.mark.integration
def test_elasticsearch_deployments_share_triage_in_the_cluster(es_settings: Settings) -> None:
    first, second = build_triage_store(es_settings), build_triage_store(es_settings)
    try:
        assert isinstance(first, ElasticsearchTriageStore)
        assert first.add_user(_user())
        assert second.get_user("lan") == _user()
    finally:
        first.close()
        second.close()


@pytest.mark.integration
def test_two_web_instances_share_logins_comments_and_history(es_settings: Settings) -> None:
    """A session made on one instance works on the other; what one records, both show."""
    assert isinstance(es_settings.store, ElasticsearchStoreConfig)
    store = ElasticsearchStore(es_settings.store)
    triages = [build_triage_store(es_settings), build_triage_store(es_settings)]
    passwords = cheap_passwords()
    try:
        Accounts(triages[0], passwords).create_user("analyst", PASSWORD, Role.analyst)
        alert = make_alert("a1", utcnow() - timedelta(minutes=5))
        store.record_alert(alert, [])
        apps = [
            create_app(store, t, es_settings, passwords=passwords, rule_ids=lambda: [])
            for t in triages
        ]
        with (
            TestClient(apps[0], follow_redirects=False) as one,
            TestClient(apps[1], follow_redirects=False) as two,
        ):
            csrf = login(one, "analyst")
            two.cookies.update(one.cookies)
            answer = two.post(
                "/api/v1/alerts/a1/comments",
                json={"text": "đã xem, từ máy chủ thứ hai"},
                headers={"X-CSRF-Token": csrf},
            )
            assert answer.status_code == 201, answer.text
            answer = two.post(
                "/api/v1/alerts/a1/close",
                json={"reason": "benign"},
                headers={"X-CSRF-Token": csrf},
            )
            assert answer.status_code == 200, answer.text
            details = one.get("/api/v1/alerts/a1/details").json()
            assert [c["text"] for c in details["comments"]] == ["đã xem, từ máy chủ thứ hai"]
            assert [h["to_status"] for h in details["history"]] == ["closed"]
            assert one.post("/logout", data={"csrf_token": csrf}).status_code == 303
            assert two.get("/api/v1/alerts/a1").status_code == 401
    finally:
        for triage in triages:
            triage.close()
        store.delete_indices()
        store.close()
