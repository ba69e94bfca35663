"""The queue's store side: the AlertFilter fields added for triage, on the SQLite store.

(These exercise ``SQLiteStore.list_alerts``/``count_alerts`` and the triage-only
``update_alert`` contract; the store contract suite covers the original filters.)
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from canhgac.models import AlertFilter, AlertSort, AlertStatus, Severity
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import utcnow

from .conftest import TriageEnv, make_alert


def _seed(env: TriageEnv) -> None:
    now = env.clock.now
    rows = [
        ("a1", 50, Severity.low, "web-01", "nguyễn.văn.a", "203.0.113.7", "SSH brute force", 3),
        (
            "a2",
            40,
            Severity.critical,
            "web-02",
            "tran.b",
            "198.51.100.1",
            "Đăng nhập bất thường",
            1,
        ),
        ("a3", 30, Severity.medium, "web-01", "tran.b", "203.0.113.7", "Sudo failure", 7),
        ("a4", 20, Severity.high, "db-01", "root", "10.0.0.5", "Tải tệp đáng ngờ", 2),
    ]
    for alert_id, minutes, severity, host, user, ip, title, count in rows:
        alert = make_alert(
            alert_id,
            now - timedelta(minutes=minutes),
            severity=severity,
            title=title,
            rule_id=f"rule-{alert_id}",
            snapshot={"host.name": host, "user.name": user, "source.ip": ip},
        )
        env.store.record_alert(alert, [f"{alert_id}-e{i}" for i in range(count)])


def _ids(store: Store, **query: object) -> list[str]:
    return [a.id for a in store.list_alerts(AlertFilter.model_validate(query))]


def test_snapshot_filters_are_exact(env: TriageEnv) -> None:
    _seed(env)
    assert _ids(env.store, host="web-01") == ["a3", "a1"]
    assert _ids(env.store, user="tran.b") == ["a3", "a2"]
    assert _ids(env.store, source_ip="203.0.113.7", host="web-01") == ["a3", "a1"]
    assert _ids(env.store, host="web") == []


def test_free_text_folds_case_and_vietnamese_composition(env: TriageEnv) -> None:
    _seed(env)
    assert _ids(env.store, text="ssh BRUTE") == ["a1"]
    assert _ids(env.store, text="ĐĂNG NHẬP") == ["a2"]
    decomposed = "nguye\u0302\u0303n"  # NFD of "nguyễn"
    assert _ids(env.store, text=decomposed) == ["a1"]
    assert _ids(env.store, text="10.0.0.5") == ["a4"]
    assert _ids(env.store, text="rule-a3") == ["a3"]


def test_sorts_break_ties_and_page(env: TriageEnv) -> None:
    _seed(env)
    assert _ids(env.store) == ["a4", "a3", "a2", "a1"]
    assert _ids(env.store, sort=AlertSort.oldest) == ["a1", "a2", "a3", "a4"]
    assert _ids(env.store, sort=AlertSort.severity) == ["a2", "a4", "a3", "a1"]
    assert _ids(env.store, sort=AlertSort.matches) == ["a3", "a1", "a4", "a2"]
    assert _ids(env.store, sort=AlertSort.severity, limit=2, offset=1) == ["a4", "a3"]


def test_counts_per_status_ignore_the_status_filter(env: TriageEnv) -> None:
    _seed(env)
    a3 = env.store.get_alert("a3")
    assert a3 is not None
    env.store.update_alert(a3.model_copy(update={"status": AlertStatus.closed}))
    counts = env.store.count_alerts(AlertFilter(status=AlertStatus.new, host="web-01"))
    assert counts == {AlertStatus.new: 1, AlertStatus.acknowledged: 0, AlertStatus.closed: 1}
    assert _ids(env.store, status=AlertStatus.closed) == ["a3"]


def test_the_abc_default_count_pages_through_list_alerts(env: TriageEnv) -> None:
    _seed(env)
    query = AlertFilter(host="web-01")
    assert Store.count_alerts(env.store, query) == env.store.count_alerts(query)


def test_update_alert_keeps_matches_merged_since_it_was_read(env: TriageEnv) -> None:
    _seed(env)
    read = env.store.get_alert("a4")
    assert read is not None
    env.store.record_alert(read, ["a4-late"])  # detection adds a match meanwhile
    env.store.update_alert(read.model_copy(update={"assignee": "analyst2"}))
    stored = env.store.get_alert("a4")
    assert stored is not None
    assert (stored.count, stored.assignee) == (3, "analyst2")
    assert _ids(env.store, assignee="analyst2") == ["a4"]


def test_databases_from_before_the_search_column_still_search(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    alert = make_alert("old", utcnow(), title="Đăng nhập SSH", snapshot={"host.name": "WEB-01"})
    with sqlite3.connect(path) as conn:  # the alerts table as the first release made it
        conn.execute(
            "CREATE TABLE alerts (id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, severity TEXT"
            " NOT NULL, status TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT"
            " NULL, doc TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (alert.id, alert.rule_id, "high", "new", alert.first_seen, alert.last_seen,
             alert.model_dump_json()),
        )  # fmt: skip
    conn.close()
    store = SQLiteStore(path)
    try:
        assert _ids(store, text="đăng NHẬP") == ["old"]
        assert _ids(store, text="web-01") == ["old"]
        store.record_alert(make_alert("new", utcnow(), title="Sudo"), [])
        assert _ids(store, text="sudo") == ["new"]
    finally:
        store.close()
