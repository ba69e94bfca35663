"""Run every rule on its own interval (APScheduler 3, background threads).

One job per rule: ``max_instances=1`` so a slow rule never overlaps itself, ``coalesce`` so a
backlog of missed runs becomes one run (the engine's windows already cover the gap), jitter so
rules sharing an interval do not all hit the store in the same second. A failing rule is
logged and recorded in its status; it never stops the scheduler or the other rules.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from alerting.detect.compile import CompiledRule
from alerting.detect.engine import Clock, DetectionEngine, RuleRunReport
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)


class Companion(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RuleStatus:
    """How a rule is doing, for the CLI and the web UI."""

    rule_id: str
    title: str
    interval_s: float
    runs: int = 0
    failures: int = 0
    last_run_at: str | None = None
    last_duration_s: float | None = None
    last_matches: int = 0
    # How far the rule's coverage (its watermark) trailed the clock after its last run.
    delay_s: float | None = None
    last_error: str | None = None


class DetectionScheduler:
    """Schedules :meth:`DetectionEngine.run_rule` for each rule."""

    def __init__(
        self,
        engine: DetectionEngine,
        rules: Sequence[CompiledRule],
        *,
        jitter_seconds: int = 0,
        max_workers: int = 4,
        clock: Clock = utcnow,
    ) -> None:
        self.engine = engine
        self.rules = {rule.id: rule for rule in rules}
        self._jitter = jitter_seconds
        self._max_workers = max_workers
        self._clock = clock
        self._scheduler: BackgroundScheduler | None = None
        self._companions: list[Companion] = []
        self._status_lock = threading.Lock()
        self._status = {
            rule.id: RuleStatus(rule.id, rule.title, rule.interval.total_seconds())
            for rule in rules
        }

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start one job per rule; each runs once right away, then every interval."""
        if self._scheduler is not None:
            raise RuntimeError("the detection scheduler is already running")
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self._max_workers)},
            timezone=UTC,
        )
        for rule in self.rules.values():
            self._add_job(scheduler, rule)
        scheduler.start()
        self._scheduler = scheduler
        log.info("detection scheduler started with %d rules", len(self.rules))
        for companion in self._companions:
            companion.start()

    def _add_job(self, scheduler: BackgroundScheduler, rule: CompiledRule) -> None:
        seconds = rule.interval.total_seconds()
        scheduler.add_job(
            self.run_rule,
            trigger="interval",
            seconds=seconds,
            jitter=self._jitter or None,
            args=[rule.id],
            id=rule.id,
            name=rule.title,
            max_instances=1,
            coalesce=True,
            # A run that starts late is still worth running: the windows cover the gap.
            misfire_grace_time=max(1, int(seconds)),
            next_run_time=datetime.now(UTC),
        )

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with ``wait`` the running jobs finish first."""
        for companion in reversed(self._companions):
            companion.stop()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
            log.info("detection scheduler stopped")

    def attach(self, companion: Companion) -> None:
        """Start ``companion`` with the scheduler and stop it first (the rule reloader)."""
        self._companions.append(companion)

    def replace_rules(self, rules: Sequence[CompiledRule]) -> None:
        """Run ``rules`` from now on: jobs of new rules are added (and run right away), those
        of rules no longer given removed, a changed interval rescheduled. A rule keeps its
        watermark and status across a replacement (both are keyed by its id)."""
        new = {rule.id: rule for rule in rules}
        old, self.rules = self.rules, new
        with self._status_lock:
            self._status = {
                rule_id: (
                    replace(
                        self._status[rule_id],
                        title=rule.title,
                        interval_s=rule.interval.total_seconds(),
                    )
                    if rule_id in self._status
                    else RuleStatus(rule_id, rule.title, rule.interval.total_seconds())
                )
                for rule_id, rule in new.items()
            }
        scheduler = self._scheduler
        if scheduler is None:
            return
        for rule_id in old.keys() - new.keys():
            scheduler.remove_job(rule_id)
        for rule_id, rule in new.items():
            if rule_id not in old:
                self._add_job(scheduler, rule)
            elif rule.interval != old[rule_id].interval:
                scheduler.reschedule_job(
                    rule_id,
                    trigger="interval",
                    seconds=rule.interval.total_seconds(),
                    jitter=self._jitter or None,
                )

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    # --- running rules -------------------------------------------------------------------------
    def run_all_once(self) -> list[RuleRunReport]:
        """Run every rule once, one after another, in this thread (CLI, tests, benchmarks)."""
        return [self.run_rule(rule_id) for rule_id in self.rules]

    def run_rule(self, rule_id: str) -> RuleRunReport:
        """Run one rule now; a failure is logged and reported, never raised."""
        started = self._clock()
        rule = self.rules.get(rule_id)
        if rule is None:  # removed by a reload while this run was due
            return RuleRunReport(rule_id, to_iso(started), 0.0, error="the rule was removed")
        try:
            report = self.engine.run_rule(rule)
        except Exception as exc:  # noqa: BLE001 - one rule's failure must not stop the others
            log.exception("rule %s (%s) failed; its window will be retried", rule.id, rule.title)
            report = RuleRunReport(
                rule_id=rule.id,
                started_at=to_iso(started),
                duration_s=(self._clock() - started).total_seconds(),
                error=f"{type(exc).__name__}: {exc}",
            )
        self._remember(report)
        return report

    def status(self) -> list[RuleStatus]:
        with self._status_lock:
            return list(self._status.values())

    def _remember(self, report: RuleRunReport) -> None:
        with self._status_lock:
            old = self._status.get(report.rule_id)
            if old is None:  # the rule was removed by a reload while it ran
                return
            if report.error is not None:
                self._status[report.rule_id] = replace(
                    old,
                    runs=old.runs + 1,
                    failures=old.failures + 1,
                    last_run_at=report.started_at,
                    last_duration_s=report.duration_s,
                    last_error=report.error,
                )
                return
            delay = old.delay_s
            if report.watermark is not None:
                delay = (self._clock() - from_iso(report.watermark)).total_seconds()
            self._status[report.rule_id] = replace(
                old,
                runs=old.runs + 1,
                last_run_at=report.started_at,
                last_duration_s=report.duration_s,
                last_matches=report.matches,
                delay_s=delay,
                last_error=None,
            )
