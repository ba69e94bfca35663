"""Wires notification delivery into the detect role: the dispatcher, its metrics and health.

- ``canhgac_notifications_sent_total{channel}`` (alerts delivered, alone or in a digest),
  ``..._digests_sent_total{channel}``, ``..._failed_total{channel}`` (failed attempts),
  ``..._given_up_total{channel}``, ``..._pending{channel}`` (rows waiting at the last pass,
  digest-held ones included), ``..._held{channel}`` (of those, waiting for the next digest),
  ``..._consecutive_failures{channel}`` and
  ``..._last_success_age_seconds{channel}`` (absent until a first success);
- ``/healthz``: ``notifications`` (soft: a channel whose last attempts all failed degrades the
  process; alerts are still detected and stored, they just do not reach that channel).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from alerting.notify.delivery import DeliveryStats
from alerting.notify.leased import LeasedDispatcher
from alerting.notify.registry import build_channels
from canhgac.config import Settings
from canhgac.metrics import CounterMetricFamily, GaugeMetricFamily, Metric, Metrics
from canhgac.store.base import Store
from canhgac.store.lease_holders import default_owner
from canhgac.timeutil import utcnow


def build_dispatcher(settings: Settings, store: Store) -> LeasedDispatcher:
    """The outbox dispatcher of ``settings``' channels, linking to the UI's public URL."""
    channels = build_channels(settings.alerting, settings.web.public_url)
    return LeasedDispatcher(store, channels, owner=default_owner())


def watch_notifications(
    metrics: Metrics, stats: DeliveryStats, *, clock: Callable[[], datetime] = utcnow
) -> None:
    def scrape() -> list[Metric]:
        label = ["channel"]
        sent = CounterMetricFamily(
            "canhgac_notifications_sent",
            "Alerts delivered per channel, alone or in a digest.",
            labels=label,
        )
        digests = CounterMetricFamily(
            "canhgac_notifications_digests_sent",
            "Digest messages delivered per channel (their alerts count in sent).",
            labels=label,
        )
        held = GaugeMetricFamily(
            "canhgac_notifications_held",
            "Pending notifications waiting for the channel's next digest, at the last pass.",
            labels=label,
        )
        failed = CounterMetricFamily(
            "canhgac_notifications_failed",
            "Failed delivery attempts per channel (retried or given up).",
            labels=label,
        )
        given_up = CounterMetricFamily(
            "canhgac_notifications_given_up",
            "Notifications that failed for good per channel.",
            labels=label,
        )
        pending = GaugeMetricFamily(
            "canhgac_notifications_pending",
            "Notifications waiting to be (re)tried per channel, at the last dispatch pass.",
            labels=label,
        )
        in_a_row = GaugeMetricFamily(
            "canhgac_notifications_consecutive_failures",
            "Failed attempts since the channel's last success.",
            labels=label,
        )
        age = GaugeMetricFamily(
            "canhgac_notifications_last_success_age_seconds",
            "Seconds since the channel last delivered a notification.",
            labels=label,
        )
        now = clock()
        for name, delivery in sorted(stats.snapshot().items()):
            sent.add_metric([name], delivery.sent)
            digests.add_metric([name], delivery.digests)
            held.add_metric([name], delivery.held)
            failed.add_metric([name], delivery.failed)
            given_up.add_metric([name], delivery.given_up)
            pending.add_metric([name], delivery.pending)
            in_a_row.add_metric([name], delivery.consecutive_failures)
            if delivery.last_success is not None:
                age.add_metric([name], (now - delivery.last_success).total_seconds())
        return [sent, digests, failed, given_up, pending, held, in_a_row, age]

    def failing() -> str | None:
        channels = stats.failing()
        if not channels:
            return None
        return "failing: " + "; ".join(
            f"{name} ({delivery.consecutive_failures} in a row: {delivery.last_error})"
            for name, delivery in sorted(channels.items())
        )

    metrics.on_scrape(scrape)
    metrics.check("notifications", failing, soft=True)
