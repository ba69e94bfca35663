"""`canhgac run` end to end: logs in through syslog, HTTP and a tailed file; exact alerts out."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.city_traffic import EXPECTED, NOTIFIED, SENT, send_city_logs, wait_for

from .conftest import Instance

pytestmark = pytest.mark.e2e


def _send_all(instance: Instance) -> None:
    send_city_logs(instance.syslog_port, instance.http_port, instance.log_file)


def _alerts_by_rule(db: Path) -> dict[str, int]:
    store = SQLiteStore(db)
    try:
        alerts = store.list_alerts(AlertFilter(limit=1000))
    finally:
        store.close()
    counts: dict[str, int] = {}
    for alert in alerts:
        stem = Path(alert.rule_path).stem
        assert stem not in counts, f"two alerts for {stem}"
        counts[stem] = alert.count
    return counts


def _stored(db: Path) -> int:
    store = SQLiteStore(db)
    try:
        return store.count_events() + store.count_dead_letters()
    finally:
        store.close()


def test_logs_in_through_every_source_raise_exactly_the_expected_alerts(
    instance: Instance,
) -> None:
    instance.start()
    _send_all(instance)
    wait_for(lambda: _stored(instance.db_path) >= SENT, 30, "every record to be stored")
    wait_for(lambda: _alerts_by_rule(instance.db_path) == EXPECTED, 90, f"alerts {EXPECTED}")
    assert _stored(instance.db_path) == SENT
    # The console channel reports each alert once, from the notification outbox.
    wait_for(lambda: instance.output().count(NOTIFIED) >= len(EXPECTED), 15, "notifications")
    instance.stop()
    assert instance.process is not None and instance.process.returncode == 0, instance.output()
    assert instance.output().count(NOTIFIED) == len(EXPECTED)
