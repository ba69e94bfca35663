"""Run every rule on its own interval (APScheduler 3, background threads).

One job per rule interval: at each tick the rules sharing that interval run together
(:meth:`DetectionEngine.run_rules`), so the store answers a tick in a few batched requests
instead of a few per rule. ``max_instances=1`` so a slow tick never overlaps itself,
``coalesce`` so a backlog of missed ticks becomes one (the engine's windows already cover the
gap), and a phase drawn once per tick within ``jitter_seconds`` so ticks of different
intervals, and of different detectors, stay apart. A rule added by a reload runs once right
away, then with its interval's tick. A failing rule is logged and recorded in its status;
it never stops the scheduler or the other rules.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from alerting.detect.compile.rules import CompiledRule
from alerting.detect.run import collect_start
from alerting.detect.run.engine import DetectionEngine, RuleRunReport
from alerting.detect.run.window_round import Clock
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
    # A person switched it off (canhgac.models.RuleSwitch); its ticks search nothing new.
    disabled: bool = False


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
        # When this process's sources started storing events (see collect_start): new rules
        # are anchored there at start. None: they start one interval before their first run.
        self.collecting_since: datetime | None = None
        self._status_lock = threading.Lock()
        self._ticks_running = 0
        self._status = {
            rule.id: RuleStatus(rule.id, rule.title, rule.interval.total_seconds())
            for rule in rules
        }

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start one job per interval; each runs within its phase (at most ``jitter_seconds``)
        of now, then every interval."""
        if self._scheduler is not None:
            raise RuntimeError("the detection scheduler is already running")
        if self.collecting_since is not None:
            self._anchor(self.collecting_since)
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self._max_workers)},
            timezone=UTC,
        )
        for seconds in self._intervals():
            self._add_tick(scheduler, seconds)
        scheduler.start()
        self._scheduler = scheduler
        log.info("detection scheduler started with %d rules", len(self.rules))
        for companion in self._companions:
            companion.start()

    def _anchor(self, since: datetime) -> None:
        try:
            if self.engine.anchor(list(self.rules.values()), since):
                collect_start.release(self.engine.store)
        except Exception as exc:  # noqa: BLE001 - the hold stays; the next start retries it
            log.error("could not store where new rules start (at their first run, then): %s", exc)

    def _intervals(self) -> set[float]:
        return {rule.interval.total_seconds() for rule in self.rules.values()}

    @staticmethod
    def _tick_id(seconds: float) -> str:
        return f"tick:{seconds:g}s"

    def _add_tick(self, scheduler: BackgroundScheduler, seconds: float) -> None:
        # A phase drawn once, not APScheduler's jitter: that one is added to every fire time and
        # accumulates (one-minute ticks ran every 62.5 s on average, up to 65 s apart, and every
        # alert waited that much longer).
        phase = random.uniform(0, self._jitter) if self._jitter > 0 else 0.0
        scheduler.add_job(
            self.run_interval,
            trigger="interval",
            seconds=seconds,
            args=[seconds],
            id=self._tick_id(seconds),
            name=f"rules every {seconds:g}s",
            max_instances=1,
            coalesce=True,
            # A tick that starts late is still worth running: the windows cover the gap.
            misfire_grace_time=max(1, int(seconds)),
            next_run_time=datetime.now(UTC) + timedelta(seconds=phase),
        )

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with ``wait`` the running ticks end first, each at its next page
        of searches (the engine's stop: the rules' unfinished windows keep their watermarks
        and the next start searches them, so nothing is skipped or searched twice)."""
        self.engine.stopping.set()
        for companion in reversed(self._companions):
            companion.stop()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
            log.info("detection scheduler stopped")
        if wait:  # no tick runs any more: run_all_once may search again
            self.engine.stopping.clear()

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
        before = {rule.interval.total_seconds() for rule in old.values()}
        after = self._intervals()
        for seconds in before - after:
            scheduler.remove_job(self._tick_id(seconds))
        for seconds in after - before:
            self._add_tick(scheduler, seconds)  # runs its rules right away
        fresh = [
            rule_id
            for rule_id, rule in new.items()
            if rule_id not in old and rule.interval.total_seconds() in before
        ]
        if fresh:  # new rules of an existing interval run now, not at its next tick
            scheduler.add_job(self.run_rules, args=[fresh], name="rules added by a reload")

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    # --- running rules -------------------------------------------------------------------------
    def run_all_once(self) -> list[RuleRunReport]:
        """Run every rule once, as one tick, in this thread (CLI, tests, benchmarks)."""
        return self.run_rules(list(self.rules))

    def run_interval(self, seconds: float) -> list[RuleRunReport]:
        """The tick of every rule whose interval is ``seconds``."""
        due = [r.id for r in self.rules.values() if r.interval.total_seconds() == seconds]
        return self.run_rules(due)

    def run_rule(self, rule_id: str) -> RuleRunReport:
        """Run one rule now; a failure is logged and reported, never raised."""
        return self.run_rules([rule_id])[0]

    def run_rules(self, rule_ids: Sequence[str]) -> list[RuleRunReport]:
        """Run the given rules now as one tick; failures are logged and reported, never
        raised. A rule removed by a reload meanwhile is reported as such."""
        started = self._clock()
        rules = [self.rules[r] for r in rule_ids if r in self.rules]
        with self._status_lock:
            self._ticks_running += 1
        try:
            done = {report.rule_id: report for report in self.engine.run_rules(rules)}
        except Exception as exc:  # one tick's failure must not stop the others
            log.exception("a detection tick of %d rules failed", len(rules))
            failed = RuleRunReport(
                rule_id="",
                started_at=to_iso(started),
                duration_s=(self._clock() - started).total_seconds(),
                error=f"{type(exc).__name__}: {exc}",
            )
            done = {rule.id: replace(failed, rule_id=rule.id) for rule in rules}
        finally:
            with self._status_lock:
                self._ticks_running -= 1
        reports = []
        for rule_id in rule_ids:
            report = done.get(rule_id) or RuleRunReport(
                rule_id, to_iso(started), 0.0, error="the rule was removed"
            )
            if rule_id in done:
                self._remember(report)
            reports.append(report)
        return reports

    def status(self) -> list[RuleStatus]:
        with self._status_lock:
            return list(self._status.values())

    @property
    def ticks_running(self) -> int:
        """Ticks searching now (one that never ends shows detection falling behind)."""
        with self._status_lock:
            return self._ticks_running

    def _remember(self, report: RuleRunReport) -> None:
        with self._status_lock:
            old = self._status.get(report.rule_id)
            if old is None:  # the rule was removed by a reload while it ran
                return
            if report.disabled and not report.windows and report.error is None:
                self._status[report.rule_id] = replace(old, disabled=True)
                return
            if report.error is not None:
                self._status[report.rule_id] = replace(
                    old,
                    runs=old.runs + 1,
                    failures=old.failures + 1,
                    last_run_at=report.started_at,
                    last_duration_s=report.duration_s,
                    last_error=report.error,
                    disabled=report.disabled,
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
                disabled=report.disabled,
            )
