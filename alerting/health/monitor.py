"""The periodic health job: compute the hours that just ended, judge, raise alerts.

Each run (every ``health.interval``, on its own APScheduler job in the detect role):

1. compute every hour that ended at least ``health.settle`` ago and is not stored yet, or
   was stored before it settled (at most ``health.backfill`` back), and store it, replacing
   what was there: recomputing is idempotent;
2. drop hours older than ``health.retention``;
3. read the last event per source key since the newest stored hour (incrementally: only
   events ingested since the previous run), so silence is judged every run;
4. judge every key and raise alerts for the problems of the hours computed in this run and
   for silences; alert ids are deterministic, so a repeated run repeats no alert;
5. given the rules detection runs, raise one alert when some of them stopped searching
   (:mod:`.detection_lag`).

Before all that it probes that the store can write (for ``/healthz``), and skips the run if
it cannot.

The latest judgement is kept for metrics and ``/healthz`` (:attr:`HealthMonitor.latest`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerting.health.alerts import Router, raise_alerts
from alerting.health.detection_lag import RuleLag, ScheduledRule, rule_lags, stall_finding
from alerting.health.judge import Finding, dead_letter_findings, hour_findings, silence
from alerting.health.report import HOUR, assess_all, current_hour
from alerting.health.rules import NOT_UNDERSTOOD
from canhgac.config import HealthConfig
from canhgac.errors import StoreError
from canhgac.health.model import HealthBucket, Quality, SourceHealth, SourceKey, Status
from canhgac.lifecycle import every_interval
from canhgac.store.base import AlertWrite, Store
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SAMPLE_EVENTS = 10
LEASE = "canhgac-health"


@dataclass
class HealthRun:
    """What one run did."""

    computed_hours: list[str] = field(default_factory=list)
    sources: list[SourceHealth] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    alerts: list[AlertWrite] = field(default_factory=list)
    #: how far each enabled rule's coverage trails the clock, most behind first
    lags: list[RuleLag] = field(default_factory=list)


def _no_channels(alert: object) -> Sequence[str]:
    return ()


class HealthMonitor:
    """Computes, stores and judges data health of ``store``; see the module doc."""

    def __init__(
        self,
        store: Store,
        config: HealthConfig,
        *,
        route: Router = _no_channels,
        clock: Clock = utcnow,
        owner: str | None = None,
        rules: Callable[[], Sequence[ScheduledRule]] | None = None,
    ) -> None:
        self.store = store
        # The rules detection runs now (None: this monitor does not judge detection).
        self._rules = rules
        self._rules_first_seen: dict[str, datetime] = {}
        # Several detectors: the one holding the lease runs the job (None: the only one).
        self._owner = owner
        self.health = store.health()
        self.config = config
        self._route = route
        self._clock = clock
        self._seen: dict[SourceKey, str] = {}
        self._seen_since: str | None = None
        self._lock = threading.Lock()
        self._scheduler: Any = None
        self.latest: HealthRun | None = None
        #: why the store could not write at the start of the last run (None: it could)
        self.write_error: str | None = None

    # --- one run ------------------------------------------------------------------------------
    def run_once(self) -> HealthRun | None:
        """One run; None when another detector holds the job's lease or the store cannot
        write (:attr:`write_error` then says why)."""
        self.write_error = self._probe()
        if self.write_error is not None:
            return None
        ttl = 3 * self.config.interval.total_seconds()
        if self._owner is not None and not self.store.acquire_lease(LEASE, self._owner, ttl):
            return None
        with self._lock:
            now = self._clock()
            run = HealthRun()
            run.computed_hours = self._compute_due_hours(now)
            self.health.prune(to_iso(current_hour(now) - self.config.retention))
            recent = self._recent(now)
            judged = assess_all(self.health, self.config, now, recent)
            run.sources = [health for health, _ in judged]
            run.findings = self._findings(judged, run.computed_hours, now)
            if self._rules is not None:
                run.lags = rule_lags(self.store, self._rules(), now, self._rules_first_seen)
                if (stalled := stall_finding(run.lags, self.config, now)) is not None:
                    run.findings.append(stalled)
            samples = [self._samples(f, now) for f in run.findings]
            run.alerts = raise_alerts(
                self.store, list(zip(run.findings, samples, strict=True)), self._route, to_iso(now)
            )
            self.latest = run
            return run

    def _compute_due_hours(self, now: datetime) -> list[str]:
        end = current_hour(now)
        first = current_hour(now - self.config.backfill)
        stored = self.health.computed_hours(to_iso(first), to_iso(end))
        settle = self.config.settle
        computed: list[str] = []
        hour = first
        while hour < end:
            settled_at = hour + HOUR + settle
            at = stored.get(to_iso(hour))
            if settled_at <= now and (at is None or from_iso(at) < settled_at):
                start, stop = to_iso(hour), to_iso(hour + HOUR)
                self.health.save_hour(
                    start, self.health.compute(start, stop, computed_at=to_iso(now))
                )
                computed.append(start)
            hour += HOUR
        return computed

    def _recent(self, now: datetime) -> dict[SourceKey, str]:
        """Last event per key since the hour before the current one, read incrementally."""
        floor = to_iso(current_hour(now) - HOUR)
        since = max(self._seen_since or floor, floor)
        self._seen = {k: v for k, v in self._seen.items() if v >= floor}
        for key, last in self.health.last_seen(since).items():
            if last > self._seen.get(key, ""):
                self._seen[key] = last
        if self._seen:
            self._seen_since = max(self._seen.values())
        return dict(self._seen)

    def _findings(
        self,
        judged: Sequence[tuple[SourceHealth, list[HealthBucket]]],
        hours: Sequence[str],
        now: datetime,
    ) -> list[Finding]:
        findings: list[Finding] = []
        window = set(hours)
        everything: list[HealthBucket] = []
        for health, history in judged:
            if health.key == SourceKey():
                continue
            everything.extend(history)
            _, _, _, silent = silence(health.key, history, health.last_seen, now, self.config)
            if silent is not None and health.verdicts:
                findings.append(silent)
            for bucket in history:
                if bucket.hour in window:
                    findings.extend(hour_findings(bucket, history, self.config))
        for hour in hours:
            findings.extend(dead_letter_findings(hour, everything, self.config))
        return findings

    def _samples(self, finding: Finding, now: datetime) -> list[str]:
        """Event ids linked to a not-understood alert: a few of the lines in question."""
        if finding.rule is not NOT_UNDERSTOOD:
            return []
        events = self.health.not_understood_samples(
            finding.key, finding.first_seen, finding.last_seen, limit=SAMPLE_EVENTS
        )
        return [event.id for event in events]

    def _probe(self) -> str | None:
        try:
            self.health.probe_write()
        except StoreError as exc:
            log.error("data health: the store cannot write: %s", exc)
            return str(exc)
        return None

    # --- what /healthz and /metrics read --------------------------------------------------------
    @property
    def judges_detection(self) -> bool:
        """Whether this monitor was given the rules detection runs (see :mod:`.detection_lag`)."""
        return self._rules is not None

    def silent_sources(self) -> list[SourceKey]:
        run = self.latest
        if run is None:
            return []
        return [
            source.key
            for source in run.sources
            if (live := source.verdicts.get(Quality.live)) and live.status is Status.failing
        ]

    # --- lifecycle ----------------------------------------------------------------------------
    def _tick(self) -> None:
        try:
            self.run_once()
        except Exception:
            log.exception("data health run failed")

    def start(self) -> None:
        scheduler = every_interval(
            self._tick, self.config.interval.total_seconds(), "canhgac-health", self._clock()
        )
        self._scheduler = scheduler

    def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
