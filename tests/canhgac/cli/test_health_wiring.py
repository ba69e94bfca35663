"""Data health in /metrics and /healthz of the detect role."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from canhgac.cli.health import build_monitor, watch_health
from canhgac.config import Settings
from canhgac.metrics import Metrics, MetricsServer
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.health_scenario import HOUR, MINUTE, Clock, H, load


@pytest.fixture
def clock() -> Clock:
    return Clock(H - 3 * HOUR)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF", now=clock.iso)
    load(s, clock)
    clock.now = H + HOUR + 3 * MINUTE
    yield s
    s.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_silent_source_degrades_healthz_and_gauges_per_source(
    store: SQLiteStore, clock: Clock
) -> None:
    metrics = Metrics()
    monitor = build_monitor(Settings(), store, clock=clock)
    watch_health(metrics, monitor, clock=clock)
    assert metrics.status()[0] == "ok"  # nothing judged yet
    monitor.run_once()
    server = MetricsServer(metrics, "127.0.0.1", 0)
    server.start()
    try:
        code, body = get(f"http://127.0.0.1:{server.port}/healthz")
        text = get(f"http://127.0.0.1:{server.port}/metrics")[1]
    finally:
        server.stop()
    assert code == 200
    report = json.loads(body)
    assert report["status"] == "degraded"
    assert report["checks"] == {
        "data_sources": "silent: syslog-tcp / ecab-mail01 / system.auth",
        "store_write": "ok",
    }
    labels = 'dataset="system.auth",host="ecab-db01",source="syslog-tcp"'
    assert f"canhgac_source_understood_ratio{{{labels}}} 0" in text
    assert f"canhgac_source_dead_letter_ratio{{{labels}}} 0" in text
    app = 'dataset="system.auth",host="ecab-app01",source="syslog-udp"'
    assert f"canhgac_source_clock_skew_seconds{{{app}}} 1200" in text
    mail = 'dataset="system.auth",host="ecab-mail01",source="syslog-tcp"'
    assert f"canhgac_source_last_seen_age_seconds{{{mail}}} 3800" in text


def test_a_store_that_cannot_write_is_unhealthy(store: SQLiteStore, clock: Clock) -> None:
    metrics = Metrics()
    monitor = build_monitor(Settings(), store, clock=clock)
    watch_health(metrics, monitor, clock=clock)
    # This thread's connection refuses writes from now on, as a read-only or full disk would.
    store._db.conn().execute("PRAGMA query_only = ON")
    assert monitor.run_once() is None
    assert "readonly" in (monitor.write_error or "")
    status, checks = metrics.status()
    assert status == "unhealthy"
    assert "readonly" in checks["store_write"]
    store._db.conn().execute("PRAGMA query_only = OFF")
    assert monitor.run_once() is not None
    assert metrics.status()[1]["store_write"] == "ok"
