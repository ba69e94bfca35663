"""Digest mode against a real SQLite outbox and a real HTTP receiver (the webhook channel):
low severities wait and go out as one digest per period, higher ones at once; a failing digest
is retried under the same id; crashes and restarts lose no alert and never resend a digest
marked sent. Every test runs on SQLite, and on Elasticsearch (``integration``: source
``var/services/services.env``)."""

from __future__ import annotations

import os
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.notify.channel import Channel
from alerting.notify.delivery import DeliveryStats
from alerting.notify.digest_outbox import digest_id, last_period_end
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.cli.notifications import watch_notifications
from canhgac.config import AlertingConfig, ElasticsearchStoreConfig
from canhgac.errors import ConfigError, StoreError
from canhgac.metrics import Metrics, MetricsServer
from canhgac.models import Alert, Notification
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import from_iso

PUBLIC_URL = "https://soc.hanoi.example"
EVERY = timedelta(minutes=15)
SETTLE = 30.0


@pytest.fixture(params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The outbox on each store kind (overrides conftest's SQLite-only ``store``)."""
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "canhgac.db")
        yield sqlite
        sqlite.close()
        return
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail("CANHGAC_TEST_ES_URL is not set: source var/services/services.env")
    prefix = f"cgt-{uuid.uuid4().hex[:10]}"
    es = ElasticsearchStore(ElasticsearchStoreConfig(hosts=[url], index_prefix=prefix))
    try:
        yield es
    finally:
        es.delete_indices()
        es.close()


def _channel(url: str, **digest: Any) -> Channel:
    config = AlertingConfig.model_validate(
        {
            "channels": [
                {
                    "type": "webhook",
                    "name": "hook",
                    "url": f"{url}/hook",
                    "digest": {"every": "15m", "max_severity": "medium", **digest},
                }
            ]
        }
    ).channels[0]
    return CHANNELS.get(config.type)(config, AlertLinks(PUBLIC_URL))


def _alerts(make_alert: Callable[..., Alert]) -> list[Alert]:
    return [
        make_alert(id="a-low-1", severity="low", rule_id="r-scan", rule_title="Quét cổng"),
        make_alert(id="a-low-2", severity="low", rule_id="r-scan", rule_title="Quét cổng"),
        make_alert(id="a-med-1", severity="medium", rule_id="r-dns", rule_title="DNS lạ"),
        make_alert(id="a-high-1", severity="high"),
    ]


def _enqueue(store: Any, alerts: Sequence[Alert]) -> None:
    for alert in alerts:
        store.record_alert(alert, alert.event_ids)
        store.enqueue_notifications(alert.id, ["hook"])


def _queued_at(store: Any) -> datetime:
    return max(from_iso(note.updated_at) for note in store.pending_notifications(100))


def _period_end(store: Any) -> datetime:
    """The end of the period the queued rows fall in."""
    return last_period_end(_queued_at(store), EVERY) + EVERY


def _after(end: datetime) -> datetime:
    return end + timedelta(seconds=SETTLE + 1)


def _dispatcher(store: Any, channel: Channel, clock: Any) -> Dispatcher:
    return Dispatcher(store, {"hook": channel}, clock=clock, digest_settle=SETTLE)


def _status(store: Any, alert_id: str) -> Notification:
    [row] = store.list_notifications(alert_id)
    return row


def _digests(receiver: Any) -> list[tuple[str, list[str]]]:
    """(digest id, alert ids) of every digest the receiver got."""
    return [
        (headers["X-Canhgac-Digest-Id"], [alert["id"] for alert in body["alerts"]])
        for _, headers, body in receiver.requests
        if "X-Canhgac-Digest-Id" in headers
    ]


QUEUED = ["a-low-1", "a-low-2", "a-med-1"]  # the webhook lists them as enqueued
LOW_IDS = ["a-med-1", "a-low-1", "a-low-2"]  # the summary: most severe first


def test_low_severities_wait_for_one_digest_and_high_goes_at_once(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert))
    dispatcher = _dispatcher(store, _channel(http_receiver.url), clock)
    end = _period_end(store)

    clock.now = _queued_at(store)
    assert dispatcher.run_once() == DispatchReport(sent=1, held=3)
    [(_, headers, body)] = http_receiver.requests
    assert headers["X-Canhgac-Alert-Id"] == "a-high-1" and body["id"] == "a-high-1"
    assert _status(store, "a-low-1").status == "pending"
    assert dispatcher.stats.get("hook").pending == 3 and dispatcher.stats.get("hook").held == 3

    clock.now = end + timedelta(seconds=SETTLE - 1)  # the period is over, but settling
    assert dispatcher.run_once() == DispatchReport(held=3)

    clock.now = _after(end)
    assert dispatcher.run_once() == DispatchReport(sent=3, digests=1)
    assert _digests(http_receiver) == [(digest_id("hook", end), QUEUED)]
    summary = http_receiver.requests[-1][2]["summary"]
    assert summary["count"] == 3
    assert summary["by_severity"] == [
        {"severity": "medium", "count": 1},
        {"severity": "low", "count": 2},
    ]
    assert [(r["rule_id"], r["count"]) for r in summary["by_rule"]] == [("r-scan", 2), ("r-dns", 1)]
    assert summary["by_rule"][0]["link"].startswith(f"{PUBLIC_URL}/alerts?rule_id=r-scan&since=")
    assert {"field": "host.name", "value": "may-chu-web-01", "count": 3} in summary["entities"]
    assert [a["link"] for a in summary["alerts"]] == [f"{PUBLIC_URL}/alerts/{i}" for i in LOW_IDS]
    assert summary["queue_link"].startswith(f"{PUBLIC_URL}/alerts?since=")
    for alert_id in [*LOW_IDS, digest_id("hook", end)]:
        assert _status(store, alert_id).status == "sent"
    stats = dispatcher.stats.get("hook")
    assert (stats.sent, stats.digests, stats.pending, stats.held) == (4, 1, 0, 0)

    clock.now += EVERY * 2
    assert dispatcher.run_once() == DispatchReport()
    assert len(http_receiver.requests) == 2


def test_a_failing_digest_is_retried_with_the_same_id_and_members(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert)[:3])
    dispatcher = _dispatcher(store, _channel(http_receiver.url), clock)
    end = _period_end(store)
    http_receiver.answers = [(503, "busy")]

    clock.now = _after(end)
    assert dispatcher.run_once() == DispatchReport(retrying=1, held=3)
    row = _status(store, digest_id("hook", end))
    assert (row.status, row.attempts) == ("pending", 1) and "HTTP 503" in (row.last_error or "")
    assert dispatcher.stats.get("hook").consecutive_failures == 1

    # A later period does not start a second digest while this one is pending.
    clock.now += EVERY
    assert dispatcher.run_once().sent == 3
    assert _digests(http_receiver) == [(digest_id("hook", end), QUEUED)] * 2
    assert _status(store, digest_id("hook", end)).attempts == 2


def test_a_digest_that_gives_up_marks_its_alerts_failed(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert)[:3])
    dispatcher = _dispatcher(store, _channel(http_receiver.url), clock)
    http_receiver.default = (400, "bad request")
    clock.now = _after(_period_end(store))
    assert dispatcher.run_once() == DispatchReport(failed=1)
    for alert_id in LOW_IDS:
        row = _status(store, alert_id)
        assert row.status == "failed"
        assert (row.last_error or "").startswith("digest digest:hook@")
        assert "HTTP 400" in (row.last_error or "")


class CrashingStore:
    """The real store, whose ``mark_notification`` dies (like the process) at the n-th call."""

    def __init__(self, store: Any, crash_at: int) -> None:
        self._store = store
        self._crash_at = crash_at
        self.marks = 0

    def mark_notification(self, note: Notification) -> None:
        self.marks += 1
        if self.marks == self._crash_at:
            raise StoreError("the process died here")
        self._store.mark_notification(note)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_restart_before_the_period_ends_loses_nothing(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert)[:3])
    end = _period_end(store)
    clock.now = _queued_at(store)
    assert _dispatcher(store, _channel(http_receiver.url), clock).run_once().held == 3

    restarted = _dispatcher(store, _channel(http_receiver.url), clock)  # nothing in memory
    clock.now = _after(end)
    assert restarted.run_once() == DispatchReport(sent=3, digests=1)
    assert _digests(http_receiver) == [(digest_id("hook", end), QUEUED)]


def test_a_crash_between_send_and_marks_resends_the_same_digest_once(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert)[:3])
    end = _period_end(store)
    clock.now = _after(end)
    with pytest.raises(StoreError):  # sent, then died before the digest row was marked
        _dispatcher(CrashingStore(store, 1), _channel(http_receiver.url), clock).run_once()
    assert _status(store, digest_id("hook", end)).status == "pending"

    restarted = _dispatcher(store, _channel(http_receiver.url), clock)
    assert restarted.run_once() == DispatchReport(sent=3, digests=1)
    assert restarted.run_once() == DispatchReport()
    # At least once: the repeat carries the same id and members, for the receiver to drop.
    assert _digests(http_receiver) == [(digest_id("hook", end), QUEUED)] * 2


def test_a_digest_marked_sent_is_never_sent_again_and_no_alert_is_lost(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert)[:3])
    end = _period_end(store)
    clock.now = _after(end)
    with pytest.raises(StoreError):  # digest row marked sent, died on its second member
        _dispatcher(CrashingStore(store, 3), _channel(http_receiver.url), clock).run_once()
    assert _status(store, digest_id("hook", end)).status == "sent"
    left = [i for i in LOW_IDS if _status(store, i).status == "pending"]
    assert len(left) == 2

    restarted = _dispatcher(store, _channel(http_receiver.url), clock)
    assert restarted.run_once() == DispatchReport(held=2)  # not the same digest again
    clock.now = _after(end + EVERY)
    assert restarted.run_once() == DispatchReport(sent=2, digests=1)
    assert _digests(http_receiver) == [
        (digest_id("hook", end), QUEUED),
        (
            digest_id("hook", end + EVERY),
            [i for i in QUEUED if i in left],
        ),  # the leftovers, with the next period
    ]
    assert all(_status(store, i).status == "sent" for i in LOW_IDS)


def test_max_severity_decides_what_waits(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert))
    dispatcher = _dispatcher(store, _channel(http_receiver.url, max_severity="low"), clock)
    clock.now = _queued_at(store)
    assert dispatcher.run_once() == DispatchReport(sent=2, held=2)
    sent = {headers.get("X-Canhgac-Alert-Id") for _, headers, _ in http_receiver.requests}
    assert sent == {"a-med-1", "a-high-1"}


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        (
            {"type": "thehive", "url": "http://h", "api_key": "k", "digest": {"every": "15m"}},
            "takes each alert on its own",
        ),
        ({"type": "webhook", "url": "http://h", "digest": {"every": "30s"}}, "greater than"),
    ],
)
def test_digest_settings_a_channel_cannot_honour_are_refused(
    channel: dict[str, Any], message: str
) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        config = AlertingConfig.model_validate({"channels": [channel]}).channels[0]
        CHANNELS.get(config.type)(config, AlertLinks())


def _scrape(stats: DeliveryStats, clock: Any) -> str:
    metrics = Metrics()
    watch_notifications(metrics, stats, clock=clock)
    server = MetricsServer(metrics, "127.0.0.1", 0)
    server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics") as response:
            return str(response.read().decode())
    finally:
        server.stop()


def test_metrics_count_held_alerts_as_queued_and_digest_alerts_as_sent(
    store: Any, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    _enqueue(store, _alerts(make_alert))
    stats = DeliveryStats(["hook"])
    dispatcher = Dispatcher(
        store, {"hook": _channel(http_receiver.url)}, clock=clock, stats=stats, digest_settle=SETTLE
    )
    end = _period_end(store)
    clock.now = _queued_at(store)
    dispatcher.run_once()
    text = _scrape(stats, clock)
    assert 'canhgac_notifications_pending{channel="hook"} 3.0' in text
    assert 'canhgac_notifications_held{channel="hook"} 3.0' in text
    assert 'canhgac_notifications_sent_total{channel="hook"} 1.0' in text
    assert 'canhgac_notifications_digests_sent_total{channel="hook"} 0.0' in text

    clock.now = _after(end)
    dispatcher.run_once()
    text = _scrape(stats, clock)
    assert 'canhgac_notifications_pending{channel="hook"} 0.0' in text
    assert 'canhgac_notifications_held{channel="hook"} 0.0' in text
    assert 'canhgac_notifications_sent_total{channel="hook"} 4.0' in text
    assert 'canhgac_notifications_digests_sent_total{channel="hook"} 1.0' in text
