"""Health and metrics of a running process: the composition root's wiring, end to end in
one process (embedded mode), and the collector's transport health."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from canhgac.cli import telemetry
from canhgac.cli.runtime import Runtime
from canhgac.cli.telemetry import CountingSender
from canhgac.config_loader import load_settings
from canhgac.errors import StoreError, TransportError
from canhgac.metrics import Metrics, MetricsServer
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.transport.base import Batch, Sender

ROOT = Path(__file__).resolve().parents[3]
SQLI = '203.0.113.9 - - [27/Nov/2026:10:15:32 +0700] "GET /tra-cuu/ho-so?ma=1%27%20UNION%20SELECT%20username,password%20FROM%20nguoi_dung-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
BENIGN = '10.20.3.7 - - [27/Nov/2026:10:16:00 +0700] "GET /dich-vu-cong/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0"'


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


def _metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + " ", name + "{"))
    )


def _wait(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_running_process_reports_health_and_the_flow_in_its_metrics(tmp_path: Path) -> None:
    access_log = tmp_path / "access.log"
    access_log.touch()
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"""
data_dir: {tmp_path / "var"}
roles: [collect, index, detect]
sources:
  - {{type: file, name: portal, path: {access_log}, parser: nginx, poll_interval: 50ms}}
  - {{type: syslog_udp, name: udp, port: 0, parser: rfc5424, receive_buffer_bytes: 65536}}
store: {{type: sqlite, path: {tmp_path / "cg.db"}, synchronous: NORMAL}}
detection:
  rules_dir: {ROOT / "rules" / "web"}
  pipeline: [{ROOT / "rules" / "pipelines" / "ecs.yml"}]
  default_interval: 1s
  ingest_delay: 200ms
  jitter_seconds: 0
indexer: {{batch_wait: 20ms}}
alerting: {{channels: []}}
demo: {{mode: "off"}}
metrics: {{enabled: true, port: 0}}
""",
        encoding="utf-8",
    )
    runtime = Runtime(load_settings(config))
    runtime.start()
    try:
        assert runtime.metrics_server is not None
        base = f"http://127.0.0.1:{runtime.metrics_server.port}"
        access_log.write_text(f"{SQLI}\n{BENIGN}\n", encoding="utf-8")
        [udp] = [c for c in runtime.started if isinstance(c, SyslogUdpSource)]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"<13>Nov 27 10:15:32 not RFC 5424", udp.address)

        def raised() -> bool:
            text = _get(base + "/metrics")[1]
            return (
                _metric(text, "canhgac_alerts_raised_total") >= 1
                and _metric(text, "canhgac_dead_letters_total") >= 1
            )

        _wait(raised, 20)
        # The detect role exports notification delivery (no channel configured here: no series).
        assert "# TYPE canhgac_notifications_pending gauge" in _get(base + "/metrics")[1]
        status, body = _get(base + "/healthz")
        assert status == 200
        health = json.loads(body)
        assert health["roles"] == ["collect", "detect", "index"]
        assert health["checks"] == {
            "assets": "ok",  # the asset inventory (none configured: nothing refused)
            "data_sources": "ok",
            "detection": "ok",
            "detection_progress": "ok",  # no rule stopped searching
            "indexer": "ok",
            "notifications": "ok",
            "store_write": "ok",
            "store_last_write": "ok",
            "transport": "ok",
        }
        text = _get(base + "/metrics")[1]
        assert _metric(text, "canhgac_collector_events_sent_total") == 2
        assert _metric(text, "canhgac_collector_events_acked_total") == 3  # and the letter
        assert _metric(text, "canhgac_indexer_events_written_total") == 2
        assert _metric(text, "canhgac_store_bulk_seconds_count") >= 1
        assert 'canhgac_alerts_raised_total{rule="' in text and 'severity="high"' in text
        assert _metric(text, "canhgac_alerts_raised_total") == 1
        assert _metric(text, "canhgac_rule_runs_total") >= 1
        assert "canhgac_rule_disabled{" in text  # one per rule, 0: nobody disabled it
        assert _metric(text, "canhgac_rule_disabled") == 0
        assert "canhgac_detection_ticks_running " in text  # 0 or 1: a tick may be running
        assert "# TYPE canhgac_detection_behind_seconds gauge" in text  # from the health job
        assert 'canhgac_role{role="detect"} 1' in text
        # Counters read from the components' own totals are still counters.
        assert "# TYPE canhgac_indexer_events_written_total counter" in text
        assert "# TYPE canhgac_rule_runs_total counter" in text
        assert "# TYPE canhgac_store_bulk_seconds histogram" in text
        # The UDP datagram was no RFC 5424 record: a dead letter, counted by reason class.
        assert 'canhgac_dead_letters_total{reason="parse",source="udp"} 1' in text
        assert 'canhgac_udp_dropped_total{source="udp"} 0' in text
        assert _metric(text, "canhgac_udp_receive_buffer_bytes") >= 65536
    finally:
        runtime.stop()
    assert runtime.metrics_server.port > 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{runtime.metrics_server.port}/healthz", timeout=2)


class _BrokenSender(Sender):
    def send(self, batch: Batch) -> None:
        raise TransportError("Kafka sender failed earlier: cannot reach a broker")

    def close(self) -> None:
        return None


def test_a_failed_transport_turns_the_collector_unhealthy() -> None:
    metrics = Metrics()
    sender = CountingSender(_BrokenSender(), metrics)
    assert metrics.health() == (True, {"transport": "ok"})
    with pytest.raises(TransportError):
        sender.send(Batch())
    healthy, checks = metrics.health()
    assert not healthy and "cannot reach a broker" in checks["transport"]


def test_a_full_disk_turns_healthz_unhealthy_until_writes_succeed(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "canhgac.db", synchronous="OFF")
    metrics = Metrics()
    instrumented = telemetry.instrumented(store, metrics)
    server = MetricsServer(metrics, "127.0.0.1", 0)
    server.start()

    def events(first: int) -> list[Event]:
        stamp = "2026-11-27T03:15:00.000000Z"
        doc = {"@timestamp": stamp, "event.original": "x" * 2000, "event.dataset": "system.auth"}
        return [Event(f"e{n}", dict(doc)) for n in range(first, first + 200)]

    try:
        instrumented.write_events(events(0))
        assert _get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
        # This thread's connection may not grow the file any more: SQLITE_FULL, as on a full
        # disk (the indexer and detection write through the same wrapper).
        conn = store._db.conn()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match="full"):
            instrumented.write_events(events(1000))
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503
        report = json.loads(body)
        assert report["status"] == "unhealthy" and "full" in report["checks"]["store_last_write"]
        conn.execute("PRAGMA max_page_count = 1073741823")
        instrumented.write_events(events(2000))
        assert _get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
    finally:
        server.stop()
        store.close()
