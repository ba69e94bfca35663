"""Run rules over the events ingested since their watermarks, window by window.

Which windows a run searches is :mod:`alerting.detect.run.window_plan`. Each window is read page by
page until exhausted; alerts are recorded (idempotently, ids are deterministic) and
notifications enqueued, and only *then* is the watermark advanced. A crash mid-window repeats
that window after a restart, and nothing doubles.

The rules due at one scheduling tick run together (:meth:`DetectionEngine.run_rules`), so the
store sees a handful of batched requests per tick instead of a handful per rule: leases taken
at once, states read at once, one batch of searches per page round (``_msearch`` on
Elasticsearch, which runs them concurrently), alerts, notifications and watermarks written in
batches. A backfill goes window by window in rounds: round *k* searches the *k*-th window of
every rule that has one (:mod:`alerting.detect.run.window_round`). One rule's failure (its
query rejected) is reported for that rule alone; a failure of the store as a whole fails the
tick's rules still running, whose windows are then retried at the next tick.

A rule a person switched off (:class:`~canhgac.models.RuleSwitch`) is read with the
watermarks at every tick, so every detector sharing the store obeys it without a restart; what
it then searches, and why a rule switched back on resumes from that moment, is
:func:`~alerting.detect.run.window_plan.switch_bounds`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from alerting.detect.compile.rules import CompiledRule
from alerting.detect.run.gc_pause import collector_paused
from alerting.detect.run.lease import RuleLeases
from alerting.detect.run.window_plan import Window, WindowPlan, plan_windows, switch_bounds
from alerting.detect.run.window_round import (
    Clock,
    DetectionStopped,
    Progress,
    RoundWork,
    Router,
    WindowRound,
)
from canhgac.config import DetectionConfig
from canhgac.models import Alert, RuleState, RuleSwitch
from canhgac.store.base import DetectionStore
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)

# Matched events held before their alerts are recorded (see WindowRound).
RECORD_BATCH_EVENTS = 10_000


@dataclass(frozen=True, slots=True)
class RuleRunReport:
    """What one run of one rule did."""

    rule_id: str
    started_at: str
    duration_s: float
    windows: int = 0
    matches: int = 0
    alerts_created: int = 0
    watermark: str | None = None
    skipped: tuple[str, str] | None = None
    error: str | None = None
    # Another detector held the rule's lease, so this one did not run it.
    leased_elsewhere: bool = False
    # A person switched the rule off: it ran only the windows up to that moment, if any.
    disabled: bool = False


def _no_channels(alert: Alert) -> Sequence[str]:
    return ()


class DetectionEngine:
    """Runs compiled rules against a store; safe to call from several threads."""

    def __init__(
        self,
        store: DetectionStore,
        config: DetectionConfig,
        *,
        route: Router = _no_channels,
        clock: Clock = utcnow,
        record_batch: int = RECORD_BATCH_EVENTS,
        leases: RuleLeases | None = None,
        prioritize: Callable[[Alert], Alert] | None = None,
    ) -> None:
        self.store = store
        # None: this is the only detector (tests, the embedded mode's single process).
        self._leases = leases
        self.config = config
        self._clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # Rules whose last window completed in this process. Any other rule's next window may
        # repeat one whose alerts were stored but whose notifications were not yet enqueued
        # (a crash in between), so it enqueues again; the outbox ignores duplicates.
        self._settled: set[str] = set()
        # Where a rule without a stored watermark started in this process, so retrying a
        # failed first window searches the same range instead of sliding past it.
        self._origins: dict[str, datetime] = {}
        # Set to end the running ticks early (a process stopping): see WindowRound.
        self.stopping = threading.Event()
        self._round = WindowRound(
            store,
            config,
            route=route,
            clock=clock,
            record_batch=record_batch,
            prioritize=prioritize,  # sets an alert's priority before it is stored
            settled=self._settled,
            stopping=self.stopping,
        )

    # --- entry points ------------------------------------------------------------------------
    def run_rule(self, rule: CompiledRule) -> RuleRunReport:
        """Search every due window of ``rule``; raises if a window fails (its watermark is
        then left where it was, so the next run repeats it)."""
        report, error = self._run_tick([rule])[0]
        if error is not None:
            raise error
        return report

    def run_rules(self, rules: Sequence[CompiledRule]) -> list[RuleRunReport]:
        """Run ``rules`` as one tick; a rule's failure is logged and in its report."""
        return [report for report, _ in self._run_tick(rules)]

    def anchor(self, rules: Sequence[CompiledRule], since: datetime) -> bool:
        """Store where each rule without a watermark starts, before its first run: no later
        than ``since`` (see :mod:`alerting.detect.run.collect_start`). False if the store
        could not keep them (the hold must then stay)."""
        now = self._clock()
        states = self.store.get_rule_states([rule.id for rule in rules])
        for rule in rules:
            if rule.id not in states:
                latest = now - self.config.ingest_delay - rule.interval
                self._origins.setdefault(rule.id, min(since, latest))
        return self._save_origins([self._progress(r, states.get(r.id), now) for r in rules])

    # --- the tick ------------------------------------------------------------------------------
    def _run_tick(
        self, rules: Sequence[CompiledRule]
    ) -> list[tuple[RuleRunReport, BaseException | None]]:
        unique = list({rule.id: rule for rule in rules}.values())
        with self._locked(unique):
            now = self._clock()
            held = [rule.id for rule in unique]
            if self._leases is not None:
                taken = self._leases.acquire_many(held)
                held = [rule_id for rule_id in held if rule_id in taken]
            holding = set(held)
            try:
                outcomes = self._run_held([rule for rule in unique if rule.id in holding], now)
            finally:
                if self._leases is not None:
                    self._leases.release_many(held)
        results: list[tuple[RuleRunReport, BaseException | None]] = []
        for rule in rules:
            if rule.id not in outcomes:
                log.debug("rule %s: another detector holds its lease", rule.id)
                skipped = RuleRunReport(rule.id, to_iso(now), 0.0, leased_elsewhere=True)
                results.append((skipped, None))
            else:
                results.append(outcomes[rule.id])
        return results

    @contextmanager
    def _locked(self, rules: Sequence[CompiledRule]) -> Iterator[None]:
        # In id order, so two overlapping ticks never wait on each other in a cycle.
        with self._locks_guard:
            locks = [self._locks.setdefault(r.id, threading.Lock()) for r in rules]
        with ExitStack() as stack:
            for _, lock in sorted(zip([r.id for r in rules], locks, strict=True)):
                stack.enter_context(lock)
            yield

    def _run_held(
        self, rules: Sequence[CompiledRule], now: datetime
    ) -> dict[str, tuple[RuleRunReport, BaseException | None]]:
        started = time.perf_counter()
        if not rules:
            return {}
        try:
            states = self.store.get_rule_states([rule.id for rule in rules])
            switches = self.store.get_rule_switches([rule.id for rule in rules])
            settled = self.store.settled_before()
        except Exception as exc:  # noqa: BLE001 - reported for every rule of the tick
            # Nothing is planned (nor saved) without the watermarks: the next tick retries.
            log.error(
                "could not read the rule states or writer marks of %d rules: %s", len(rules), exc
            )
            nothing = WindowPlan([])
            progress = [Progress(rule, nothing, None, True, error=exc) for rule in rules]
        else:
            settled_at = from_iso(settled) if settled is not None else None
            progress = [
                self._progress(rule, states.get(rule.id), now, settled_at, switches.get(rule.id))
                for rule in rules
            ]
            self._save_origins(progress)
            with collector_paused():
                self._run_rounds(progress, now)
        duration = time.perf_counter() - started
        return {item.rule.id: (self._report(item, now, duration), item.error) for item in progress}

    def _progress(
        self,
        rule: CompiledRule,
        state: RuleState | None,
        now: datetime,
        settled: datetime | None = None,
        switch: RuleSwitch | None = None,
    ) -> Progress:
        start = from_iso(state.watermark) if state else self._origins.get(rule.id)
        disabled = switch is not None and not switch.enabled
        if disabled and start is None:  # switched off before it ever ran: nothing to finish
            return Progress(rule, WindowPlan([]), None, False, disabled=True)
        begin, stop = switch_bounds(start, switch)
        if switch is not None and start is not None and begin != start:
            log.info(
                "rule %s (%s) was switched off: events ingested from %s to %s are not "
                "searched; it resumes there (switched on by %s)",
                rule.id,
                rule.title,
                to_iso(start),
                switch.changed_at,
                switch.actor,
            )
        plan = plan_windows(
            begin,
            now,
            interval=rule.interval,
            ingest_delay=self.config.ingest_delay,
            max_window=self.config.max_window,
            max_lookback=self.config.max_lookback,
            settled=settled,
            stop=stop,
        )
        if plan.skipped is not None:
            log.warning(
                "rule %s (%s): not searching events ingested from %s to %s: the watermark is "
                "older than detection.max_lookback (%s); resuming at %s",
                rule.id,
                rule.title,
                to_iso(plan.skipped.start),
                to_iso(plan.skipped.end),
                self.config.max_lookback,
                to_iso(plan.skipped.end),
            )
        if state is None and plan.windows:
            self._origins.setdefault(rule.id, plan.windows[0].start)
        return Progress(
            rule,
            plan,
            state.watermark if state else None,
            rule.id not in self._settled,
            disabled=disabled,
        )

    def _save_origins(self, progress: Sequence[Progress]) -> bool:
        """Store where each rule without a watermark starts, before searching: if this
        process dies mid-window, the next one resumes there instead of one interval before its
        own start, which would leave the events in between unsearched."""
        origins = [
            RuleState(rule_id=item.rule.id, watermark=to_iso(item.plan.windows[0].start))
            for item in progress
            if item.watermark is None and item.plan.windows
        ]
        if not origins:
            return True
        try:
            self.store.save_rule_states(origins)
        except Exception as exc:  # noqa: BLE001 - the searches that follow will fail and say so
            log.warning("could not store where %d new rules start: %s", len(origins), exc)
            return False
        return True

    def _run_rounds(self, progress: Sequence[Progress], now: datetime) -> None:
        round_ = 0
        while due := [(item, w) for item in progress if (w := item.due(round_)) is not None]:
            if self.stopping.is_set():
                for item, _ in due:
                    item.error = DetectionStopped()
                break
            if round_ and self._leases is not None:
                due = self._renew(due)
            try:
                self._round.run([RoundWork(item, window) for item, window in due], now)
            except Exception as exc:  # noqa: BLE001 - the store failed: every rule of the round
                log.warning("detection round %d failed for %d rules: %s", round_, len(due), exc)
                for item, _ in due:
                    item.error = exc
            round_ += 1
        stopped = [item for item in progress if isinstance(item.error, DetectionStopped)]
        self._save_errors(
            [item for item in progress if item.error is not None and item not in stopped], now
        )
        for item in progress:
            if item.error is not None:
                self._settled.discard(item.rule.id)
            if item in stopped:
                log.info(
                    "rule %s (%s): stopped before its window ended; the next start searches it",
                    item.rule.id,
                    item.rule.title,
                )
            elif item.error is not None:
                log.error(
                    "rule %s (%s) failed; its window will be retried: %s",
                    item.rule.id,
                    item.rule.title,
                    item.error,
                    exc_info=item.error,
                )
            elif len(item.plan.windows) > 1:
                log.info(
                    "rule %s (%s): backfilled %s to %s in %d windows (%d matches)",
                    item.rule.id,
                    item.rule.title,
                    to_iso(item.plan.windows[0].start),
                    to_iso(item.plan.windows[item.done - 1].end),
                    item.done,
                    item.matches,
                )

    def _save_errors(self, failed: Sequence[Progress], now: datetime) -> None:
        """Keep each failed rule's error in its state, next to the watermark it could not
        move (for a rule that never completed a window: where it will start), so ops sees it
        from any process."""
        states = []
        for item in failed:
            watermark = item.watermark
            if watermark is None and item.plan.windows:
                watermark = to_iso(item.plan.windows[0].start)
            if watermark is not None:
                error = f"{type(item.error).__name__}: {item.error}"
                states.append(
                    RuleState(
                        rule_id=item.rule.id,
                        watermark=watermark,
                        last_run_at=to_iso(now),
                        last_error=error[:2000],
                    )
                )
        if not states:
            return
        try:
            self.store.save_rule_states(states)
        except Exception:  # noqa: BLE001 - the store is failing: the log has the errors
            log.warning("could not store the errors of %d failed rules", len(states))

    def _renew(self, due: list[tuple[Progress, Window]]) -> list[tuple[Progress, Window]]:
        assert self._leases is not None
        kept = self._leases.acquire_many([item.rule.id for item, _ in due])
        for item, _ in due:
            if item.rule.id not in kept:
                log.warning("rule %s: lease lost to another detector mid-backfill", item.rule.id)
                item.plan = WindowPlan(item.plan.windows[: item.done], item.plan.skipped)
        return [(item, window) for item, window in due if item.rule.id in kept]

    def _report(self, item: Progress, now: datetime, duration: float) -> RuleRunReport:
        skipped = item.plan.skipped
        return RuleRunReport(
            rule_id=item.rule.id,
            started_at=to_iso(now),
            duration_s=duration,
            windows=item.done,
            matches=item.matches,
            alerts_created=item.created,
            watermark=item.watermark,
            skipped=(to_iso(skipped.start), to_iso(skipped.end)) if skipped else None,
            error=None if item.error is None else f"{type(item.error).__name__}: {item.error}",
            disabled=item.disabled,
        )
