"""Wires the running roles into :mod:`canhgac.metrics`: what each role counts and checks.

The components keep no metrics code: the collector's sender and the store are wrapped here
(counting and timing the calls that pass through), the indexer's and the scheduler's own
stats are copied at scrape time, and each role adds a health check.

- collect: ``canhgac_collector_events_sent_total``, ``..._dead_letters_sent_total``,
  ``..._events_acked_total``; per UDP source ``canhgac_udp_dropped_total`` (datagrams the
  kernel dropped) and ``canhgac_udp_receive_buffer_bytes`` (the effective SO_RCVBUF); per
  TCP syslog and HTTP source ``canhgac_source_connections`` (served now) and
  ``canhgac_source_connections_rejected_total{reason}`` (closed at once: a limit reached);
- index: ``canhgac_indexer_events_received_total``, ``..._events_written_total``,
  ``..._duplicates_total``, ``..._dead_letters_total``, ``..._retries_total``,
  ``..._lag_messages`` and ``canhgac_store_bulk_seconds`` (histogram of event writes);
  ``canhgac_dead_letters_total`` per source and reason class (and a rate-limited log line);
- detect: per rule ``canhgac_rule_runs_total``, ``..._failures_total``,
  ``..._duration_seconds``, ``..._delay_seconds``; ``canhgac_alerts_raised_total`` per rule
  and severity;
- detect and web: ``canhgac_assets`` (inventory size), ``canhgac_asset_reloads_total``,
  ``canhgac_asset_reload_errors_total`` and the soft ``/healthz`` check ``assets`` while the
  inventory file's last edit is refused;
- every role: ``canhgac_role`` (1 per role run here), ``canhgac_threads`` and the
  ``process_*`` series (``process_open_fds``, ``process_max_fds``, memory, CPU);
- every role with a store: the ``/healthz`` check ``store_last_write`` fails while the last write
  of events, dead letters or alerts failed (a full disk, a read-only or damaged file).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, cast, runtime_checkable

from alerting.detect.run.scheduler import DetectionScheduler
from canhgac.assets.inventory import AssetInventory
from canhgac.cli.dead_letter_watch import DeadLetterWatch
from canhgac.errors import StoreError, TransportError
from canhgac.metrics import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    Metrics,
    ProcessCollector,
)
from canhgac.models import Alert, DeadLetter, Event
from canhgac.store.base import AlertWrite, Store
from ingest.indexer import Indexer
from ingest.sources.base import Source
from ingest.sources.connections import ConnectionGate
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.transport.base import Batch, Receiver, Sender


@runtime_checkable
class _Lagging(Protocol):
    def lag(self) -> int | None: ...


class CountingSender(Sender):
    """A sender that counts what the collector hands over and what the transport acked."""

    def __init__(self, inner: Sender, metrics: Metrics) -> None:
        self.inner = inner
        self.failure: str | None = None
        metrics.check("transport", self.problem)
        self._sent = metrics.counter(
            "canhgac_collector_events_sent_total", "Events handed to the transport."
        )
        self._letters = metrics.counter(
            "canhgac_collector_dead_letters_sent_total",
            "Dead letters (unparsable input) handed to the transport.",
        )
        self._acked = metrics.counter(
            "canhgac_collector_events_acked_total",
            "Events and dead letters the transport acknowledged (checkpoints advanced).",
        )

    def send(self, batch: Batch) -> None:
        size, ack = len(batch), batch.ack

        def counted_ack() -> None:
            ack()
            self._acked.inc(size)

        self._sent.inc(len(batch.events))
        self._letters.inc(len(batch.dead_letters))
        try:
            self.inner.send(Batch(batch.events, batch.dead_letters, counted_ack))
        except TransportError as exc:
            # A Kafka sender that failed for good stays failed until the process restarts
            # (see ingest.transport.kafka): health must say so, or nobody restarts it.
            self.failure = str(exc)
            raise

    def problem(self) -> str | None:
        """For the health check: why the transport stopped accepting batches, if it did."""
        return self.failure

    def flush(self, timeout: float | None = None) -> None:
        self.inner.flush(timeout)

    def close(self) -> None:
        self.inner.close()


class _InstrumentedStore:
    """Forwards everything to the store; times event writes, counts new alerts, watches
    dead letters and remembers whether the last write failed."""

    def __init__(self, inner: Store, metrics: Metrics) -> None:
        self._inner = inner
        self.write_error: str | None = None
        metrics.check("store_last_write", lambda: self.write_error)
        self._dead_letters = DeadLetterWatch(metrics)
        self._bulk = metrics.histogram(
            "canhgac_store_bulk_seconds", "Time to store one batch of events (bulk write)."
        )
        self._alerts = metrics.counter(
            "canhgac_alerts_raised_total",
            "New alerts stored by this process's detection.",
            labels=("rule", "severity"),
        )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except StoreError as exc:
            self.write_error = f"the last store write failed: {exc}"[:300]
            raise
        self.write_error = None

    def write_events(self, events: Sequence[Event]) -> int:
        started = time.perf_counter()
        try:
            with self._writing():
                return self._inner.write_events(events)
        finally:
            self._bulk.observe(time.perf_counter() - started)

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        with self._writing():
            written = self._inner.write_dead_letters(letters)
        self._dead_letters.seen(letters)
        return written

    def record_alert(self, alert: Alert, event_ids: Sequence[str]) -> AlertWrite:
        return self.record_alerts([(alert, event_ids)])[0]

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        with self._writing():
            writes = self._inner.record_alerts(alerts)
        for write in writes:
            if write.created:
                alert = write.alert
                self._alerts.labels(rule=alert.rule_id, severity=str(alert.severity)).inc()
        return writes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


# The proxy is a whole Store (everything not overridden is forwarded), and callers that look
# for the optional parts (alert statistics, data health, incidents) check isinstance(Store).
Store.register(_InstrumentedStore)


def instrumented(store: Store, metrics: Metrics) -> Store:
    """``store`` with event writes timed and new alerts counted (a transparent proxy)."""
    return cast(Store, _InstrumentedStore(store, metrics))


def watch_indexer(metrics: Metrics, indexer: Indexer, receiver: Receiver) -> None:
    counters = {
        "events_received": ("events_in", "Events received from the transport."),
        "events_written": ("events_written", "Events newly stored."),
        "duplicates": ("duplicates", "Events already stored (re-deliveries)."),
        "dead_letters": ("dead_letters", "Dead letters stored, with their reasons."),
        "retries": ("retries", "Store writes retried after a failure."),
    }

    def scrape() -> Iterator[Metric]:
        stats = indexer.stats()
        for name, (stat, help) in counters.items():
            total = getattr(stats, stat)
            yield CounterMetricFamily(f"canhgac_indexer_{name}_total", help, value=total)
        lag = GaugeMetricFamily(
            "canhgac_indexer_lag_messages",
            "Messages in this indexer's partitions not yet stored and committed.",
        )
        if isinstance(receiver, _Lagging) and (behind := receiver.lag()) is not None:
            lag.add_metric([], behind)
        yield lag

    metrics.on_scrape(scrape)
    metrics.check("indexer", lambda: None if indexer.running else "indexer thread not running")


def watch_scheduler(metrics: Metrics, scheduler: DetectionScheduler) -> None:
    def scrape() -> list[Metric]:
        rule = ["rule"]
        runs = CounterMetricFamily(
            "canhgac_rule_runs_total", "Scheduled runs per rule.", labels=rule
        )
        failures = CounterMetricFamily(
            "canhgac_rule_failures_total", "Failed runs per rule.", labels=rule
        )
        duration = GaugeMetricFamily(
            "canhgac_rule_duration_seconds", "How long the last run of each rule took.", labels=rule
        )
        delay = GaugeMetricFamily(
            "canhgac_rule_delay_seconds",
            "How far each rule's coverage (its watermark) trailed the clock after its last run.",
            labels=rule,
        )
        disabled = GaugeMetricFamily(
            "canhgac_rule_disabled",
            "1 for a rule a person disabled (its delay grows on purpose), else 0.",
            labels=rule,
        )
        for status in scheduler.status():
            disabled.add_metric([status.rule_id], 1.0 if status.disabled else 0.0)
            runs.add_metric([status.rule_id], status.runs)
            failures.add_metric([status.rule_id], status.failures)
            if status.last_duration_s is not None:
                duration.add_metric([status.rule_id], status.last_duration_s)
            if status.delay_s is not None:
                delay.add_metric([status.rule_id], status.delay_s)
        running = GaugeMetricFamily(
            "canhgac_detection_ticks_running",
            "Detection ticks searching now (one running for long: detection falls behind).",
            value=scheduler.ticks_running,
        )
        return [runs, failures, duration, delay, disabled, running]

    metrics.on_scrape(scrape)
    metrics.check("detection", lambda: None if scheduler.running else "scheduler not running")


def watch_assets(metrics: Metrics, inventory: AssetInventory) -> None:
    """The asset inventory's size and reloads; ``/healthz`` reports (softly) a file whose
    last edit was refused, while the last good inventory keeps serving."""

    def scrape() -> list[Metric]:
        stats = inventory.stats
        return [
            GaugeMetricFamily(
                "canhgac_assets", "Assets in the inventory in use.", value=len(inventory.current())
            ),
            CounterMetricFamily(
                "canhgac_asset_reloads_total", "Inventory edits loaded.", value=stats.reloads
            ),
            CounterMetricFamily(
                "canhgac_asset_reload_errors_total",
                "Inventory edits refused (the last good inventory stayed).",
                value=stats.errors,
            ),
        ]

    def refused() -> str | None:
        error = inventory.stats.last_error
        return None if error is None else f"asset inventory edit refused: {error[:200]}"

    metrics.on_scrape(scrape)
    metrics.check("assets", refused, soft=True)


def watch_source(metrics: Metrics, source: Source) -> None:
    """What a UDP source lost in the kernel and the buffer it got; a stream listener's
    connections and the ones it refused."""
    connections = getattr(source, "connections", None)
    if isinstance(connections, ConnectionGate):
        _watch_connections(metrics, connections)
    if not isinstance(source, SyslogUdpSource):
        return

    def scrape() -> list[Metric]:
        dropped = CounterMetricFamily(
            "canhgac_udp_dropped_total",
            "Datagrams the kernel dropped: the receive buffer was full.",
            labels=["source"],
        )
        dropped.add_metric([source.name], source.drops.total)
        buffer = GaugeMetricFamily(
            "canhgac_udp_receive_buffer_bytes",
            "The effective SO_RCVBUF of the UDP source.",
            labels=["source"],
        )
        buffer.add_metric([source.name], source.receive_buffer)
        return [dropped, buffer]

    metrics.on_scrape(scrape)


def _watch_connections(metrics: Metrics, gate: ConnectionGate) -> None:
    def scrape() -> list[Metric]:
        held = GaugeMetricFamily(
            "canhgac_source_connections",
            "Connections a stream source (TCP syslog, HTTP) serves now, one thread each.",
            labels=["source"],
        )
        held.add_metric([gate.name], gate.open)
        rejected = CounterMetricFamily(
            "canhgac_source_connections_rejected_total",
            "Connections closed at once: a connection limit was reached, or accept failed.",
            labels=["source", "reason"],
        )
        for reason, count in gate.rejected().items():
            rejected.add_metric([gate.name, reason], count)
        return [held, rejected]

    metrics.on_scrape(scrape)


def watch_process(metrics: Metrics) -> None:
    """File descriptors (process_open_fds, process_max_fds, ...) and threads of the process."""
    ProcessCollector(registry=metrics.registry)

    def scrape() -> list[Metric]:
        threads = GaugeMetricFamily("canhgac_threads", "Threads of this process.")
        threads.add_metric([], threading.active_count())
        return [threads]

    metrics.on_scrape(scrape)


def watch_component(metrics: Metrics, name: str, alive: Callable[[], bool]) -> None:
    metrics.check(name, lambda: None if alive() else f"{name} stopped")


def mark_roles(metrics: Metrics, roles: Sequence[str]) -> None:
    gauge = metrics.gauge("canhgac_role", "1 for each role this process runs.", labels=("role",))
    for role in roles:
        gauge.labels(role=role).set(1)
