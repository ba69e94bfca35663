"""A failing channel is visible and alertable: retries with the RetryPolicy's backoff against a
real receiver that is down, per-channel metrics, ``/healthz`` degraded, a rate-limited log."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import pytest

from alerting.notify.delivery import DeliveryStats, FailureLog
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.cli.notifications import watch_notifications
from canhgac.config import AlertingConfig
from canhgac.metrics import Metrics, MetricsServer
from canhgac.models import Alert
from canhgac.retry import RetryPolicy
from canhgac.store.sqlite.store import SQLiteStore


def _slack(url: str, name: str = "soc-slack") -> Any:
    config = AlertingConfig.model_validate(
        {"channels": [{"type": "slack", "name": name, "url": url, "max_attempts": 10}]}
    ).channels[0]
    return CHANNELS.get("slack")(config, AlertLinks(None))


def _enqueue(store: SQLiteStore, alert: Alert, *channels: str) -> None:
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, list(channels))


def test_retries_follow_the_backoff_then_the_channel_recovers(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any, advance: Any
) -> None:
    http_receiver.answers = [(503, "down"), (503, "down")]
    alert = make_alert()
    _enqueue(store, alert, "soc-slack")
    dispatcher = Dispatcher(
        store, {"soc-slack": _slack(http_receiver.url)}, clock=clock, backoff_base=2.0
    )
    policy = RetryPolicy(initial=2.0, cap=300.0)

    assert dispatcher.run_once() == DispatchReport(retrying=1)
    advance(policy.delay(1) - 0.5)
    assert dispatcher.run_once() == DispatchReport(waiting=1)  # backoff not over yet
    advance(0.5)
    assert dispatcher.run_once() == DispatchReport(retrying=1)
    advance(policy.delay(2) - 0.5)
    assert dispatcher.run_once() == DispatchReport(waiting=1)
    advance(0.5)
    assert dispatcher.run_once() == DispatchReport(sent=1)
    assert len(http_receiver.requests) == 3
    [row] = store.list_notifications(alert.id)
    assert (row.status, row.attempts) == ("sent", 3)
    delivery = dispatcher.stats.get("soc-slack")
    assert (delivery.sent, delivery.failed, delivery.consecutive_failures) == (1, 2, 0)
    assert delivery.last_success == clock()


def test_a_channel_that_keeps_failing_shows_in_metrics_and_degrades_health(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any, advance: Any
) -> None:
    http_receiver.default = (500, "receiver broken")
    channels = {"soc-slack": _slack(http_receiver.url + "/broken")}
    stats = DeliveryStats(["soc-slack", "console"])
    dispatcher = Dispatcher(store, channels, clock=clock, stats=stats)
    metrics = Metrics()
    watch_notifications(metrics, stats, clock=clock)
    server = MetricsServer(metrics, "127.0.0.1", 0)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        status, health = _get_health(base)
        assert (status, health["status"]) == (200, "ok")
        for number in range(4):  # pass n tries the n rows pending: 1 + 2 + 3 + 4 attempts
            _enqueue(store, make_alert(id=f"alert-{number}"), "soc-slack")
            dispatcher.run_once()
            advance(1000)
        status, health = _get_health(base)
        assert (status, health["status"]) == (200, "degraded")
        assert "soc-slack" in health["checks"]["notifications"]
        assert "HTTP 500: receiver broken" in health["checks"]["notifications"]
        with urllib.request.urlopen(f"{base}/metrics") as response:
            text = response.read().decode()
    finally:
        server.stop()
    assert 'canhgac_notifications_sent_total{channel="soc-slack"} 0.0' in text
    assert 'canhgac_notifications_failed_total{channel="soc-slack"} 10.0' in text
    assert 'canhgac_notifications_pending{channel="soc-slack"} 4.0' in text
    assert 'canhgac_notifications_consecutive_failures{channel="soc-slack"} 10.0' in text
    assert 'canhgac_notifications_sent_total{channel="console"} 0.0' in text
    # No success yet: no age sample (an age since start would read as "recently fine").
    assert "canhgac_notifications_last_success_age_seconds{" not in text


def test_last_success_age_is_exported_once_a_channel_delivered(clock: Any, advance: Any) -> None:
    stats = DeliveryStats(["tg"])
    stats.sent("tg", clock())
    advance(90)
    metrics = Metrics()
    watch_notifications(metrics, stats, clock=clock)
    text = metrics.render()
    assert 'canhgac_notifications_last_success_age_seconds{channel="tg"} 90.0' in text
    assert metrics.status()[0] == "ok"


def _get_health(base: str) -> tuple[int, dict[str, Any]]:
    import urllib.error

    try:
        with urllib.request.urlopen(f"{base}/healthz") as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_failures_are_logged_once_a_minute_per_channel_with_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failure_log = FailureLog(interval=60)
    with caplog.at_level(logging.WARNING, logger="alerting.notify"):
        assert failure_log.failure("slack", 0.0, "slack failed: %s", "503")
        for second in range(1, 30):
            assert not failure_log.failure("slack", float(second), "slack failed: %s", "503")
        assert failure_log.failure("teams", 5.0, "teams failed: %s", "timeout")
        assert failure_log.failure("slack", 61.0, "slack failed: %s", "503")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "slack failed: 503",
        "teams failed: timeout",
        "slack failed: 503 (29 more failures of this channel not logged since the last line)",
    ]


def test_the_dispatcher_logs_a_dead_receiver_once_per_interval(
    store: SQLiteStore,
    make_alert: Any,
    http_receiver: Any,
    clock: Any,
    advance: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http_receiver.default = (503, "down")
    dispatcher = Dispatcher(store, {"soc-slack": _slack(http_receiver.url)}, clock=clock)
    with caplog.at_level(logging.WARNING):
        for number in range(5):
            _enqueue(store, make_alert(id=f"alert-{number}"), "soc-slack")
        dispatcher.run_once()
    failures = [r for r in caplog.records if "via soc-slack failed" in r.getMessage()]
    assert len(failures) == 1
    assert dispatcher.stats.get("soc-slack").failed == 5
