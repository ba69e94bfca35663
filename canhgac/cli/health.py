"""Wires data health (:mod:`alerting.health`) into the detect role: the periodic job, its
Prometheus gauges and its ``/healthz`` checks.

- ``canhgac_source_last_seen_age_seconds``, ``canhgac_source_understood_ratio``,
  ``canhgac_source_clock_skew_seconds`` (median, last complete hour) and
  ``canhgac_source_dead_letter_ratio``, labelled ``source``, ``host``, ``dataset``;
- ``canhgac_detection_behind_seconds`` (how far the most behind enabled rule's coverage trails
  the clock, from the watermarks in the store, growing while a rule does not run) and
  ``canhgac_detection_rules_stalled`` (rules behind by more than their interval plus
  ``health.detection_stall``, as of the job's last run);
- ``/healthz``: ``data_sources`` and ``detection_progress`` (soft: a silent source or stalled
  rules degrade the process, they do not make it unhealthy) and ``store_write`` (the job's
  last write probe failed: unhealthy).
"""

from __future__ import annotations

from alerting.detect.run.scheduler import DetectionScheduler
from alerting.health.detection_lag import ScheduledRule, behind
from alerting.health.monitor import Clock, HealthMonitor
from alerting.notify.routing import channels_for
from canhgac.config import Settings
from canhgac.metrics import GaugeMetricFamily, Metric, Metrics
from canhgac.models import Alert
from canhgac.store.base import Store
from canhgac.store.lease_holders import default_owner
from canhgac.timeutil import from_iso, utcnow


def build_monitor(
    settings: Settings,
    store: Store,
    scheduler: DetectionScheduler | None = None,
    *,
    clock: Clock = utcnow,
) -> HealthMonitor:
    """The health job for ``store``; new health alerts go where detection's alerts go. Given
    ``scheduler``, it also judges whether the scheduler's rules still search."""

    def route(alert: Alert) -> list[str]:
        return channels_for(alert, settings.alerting)

    def rules() -> list[ScheduledRule]:
        assert scheduler is not None
        return [ScheduledRule(s.rule_id, s.title, s.interval_s) for s in scheduler.status()]

    return HealthMonitor(
        store,
        settings.health,
        route=route,
        clock=clock,
        owner=default_owner(),
        rules=rules if scheduler is not None else None,
    )


def watch_health(metrics: Metrics, monitor: HealthMonitor, *, clock: Clock = utcnow) -> None:
    def scrape() -> list[Metric]:
        labels = ["source", "host", "dataset"]
        age = GaugeMetricFamily(
            "canhgac_source_last_seen_age_seconds",
            "Seconds since a source key's last event.",
            labels=labels,
        )
        understood = GaugeMetricFamily(
            "canhgac_source_understood_ratio",
            "Share of a source key's events whose key fields were extracted (last complete hour).",
            labels=labels,
        )
        skew = GaugeMetricFamily(
            "canhgac_source_clock_skew_seconds",
            "Median event.ingested - @timestamp of a source key (last complete hour).",
            labels=labels,
        )
        dead = GaugeMetricFamily(
            "canhgac_source_dead_letter_ratio",
            "Dead letters / records of a source key (last complete hour).",
            labels=labels,
        )
        families: list[Metric] = [age, understood, skew, dead]
        run = monitor.latest
        if run is None:
            return families
        now = clock()
        for source in run.sources:
            values = [source.key.source, source.key.host, source.key.dataset]
            if source.last_seen:
                age.add_metric(values, (now - from_iso(source.last_seen)).total_seconds())
            latest = source.hourly[-1] if source.hourly else None
            if latest is None:
                continue
            if latest.understood_ratio is not None:
                understood.add_metric(values, latest.understood_ratio)
            if latest.skew_median_s is not None:
                skew.add_metric(values, latest.skew_median_s)
            if latest.dead_letter_ratio is not None:
                dead.add_metric(values, latest.dead_letter_ratio)
        return families

    def silent() -> str | None:
        keys = monitor.silent_sources()
        return "silent: " + ", ".join(key.label for key in keys) if keys else None

    def writable() -> str | None:
        return monitor.write_error

    metrics.on_scrape(scrape)
    metrics.check("data_sources", silent, soft=True)
    metrics.check("store_write", writable)
    if monitor.judges_detection:
        watch_detection_progress(metrics, monitor, clock=clock)


def watch_detection_progress(
    metrics: Metrics, monitor: HealthMonitor, *, clock: Clock = utcnow
) -> None:
    """Whether detection still searches, judged over every detector
    (:mod:`alerting.health.detection_lag`)."""

    def detection() -> list[Metric]:
        behind_s = GaugeMetricFamily(
            "canhgac_detection_behind_seconds",
            "How far the most behind enabled rule's coverage (its stored watermark) trails the "
            "clock; it grows while the rule does not run.",
        )
        stalled = GaugeMetricFamily(
            "canhgac_detection_rules_stalled",
            "Rules behind by more than their interval plus health.detection_stall (last run).",
        )
        run = monitor.latest
        if run is not None and run.lags:
            behind_s.add_metric([], (clock() - run.lags[0].since).total_seconds())
            stalled.add_metric([], len(behind(run.lags, monitor.config)))
        return [behind_s, stalled]

    def progressing() -> str | None:
        run = monitor.latest
        stuck = behind(run.lags, monitor.config) if run is not None else []
        return f"{len(stuck)} rules stopped searching" if stuck else None

    metrics.on_scrape(detection)
    metrics.check("detection_progress", progressing, soft=True)
