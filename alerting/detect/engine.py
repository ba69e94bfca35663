"""Run a rule over the events ingested since its watermark, window by window.

Coverage is tracked on ``event.ingested`` (when the store wrote the event), not on the event's
own ``@timestamp``, so late or clock-skewed sources are still searched exactly once:

* a rule's watermark is the end of the last window whose alerts are stored; without one the
  rule starts one interval back (never the whole history);
* a window ends ``ingest_delay`` before now, so batches still being committed are not missed;
* the range since the watermark is cut into windows of at most ``max_window`` and searched
  oldest first (backfill after downtime), but never further back than ``max_lookback`` -- the
  part skipped is logged as a warning with the exact range;
* each window is read page by page until exhausted; alerts are recorded (idempotently, ids are
  deterministic) and notifications enqueued, and only *then* is the watermark advanced. A crash
  mid-window repeats that window after a restart, and nothing doubles.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from alerting.alerts.build import AlertDraft, build_alerts
from alerting.detect.compile import CompiledRule
from alerting.detect.lease import RuleLeases
from canhgac.config import DetectionConfig
from canhgac.models import Alert, Event, RuleRun, RuleState
from canhgac.store.base import Store
from canhgac.timeutil import from_iso, to_iso, utcnow

log = logging.getLogger(__name__)

# Matched events held before their alerts are recorded (see _run_window).
RECORD_BATCH_EVENTS = 10_000

Clock = Callable[[], datetime]
# Which notification channels an alert goes to (empty: none).
Router = Callable[[Alert], Sequence[str]]


@runtime_checkable
class WindowEvaluator(Protocol):
    """A rule query that is not one store search: it reads the store itself and drafts the
    window's alerts (a correlation, see :mod:`alerting.detect.correlation_run`)."""

    def evaluate_window(
        self, store: Store, start: str, end: str, *, page_size: int, now: str
    ) -> tuple[int, list[AlertDraft]]:
        """(matched events, alert drafts) for ``[start, end)`` of ``event.ingested``."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open range ``[start, end)`` of ``event.ingested``."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class WindowPlan:
    windows: list[Window]
    # The part of [watermark, now - max_lookback) that will not be searched, if any.
    skipped: Window | None = None


def plan_windows(
    watermark: datetime | None,
    now: datetime,
    *,
    interval: timedelta,
    ingest_delay: timedelta,
    max_window: timedelta,
    max_lookback: timedelta,
) -> WindowPlan:
    """The windows a run at ``now`` must search, oldest first."""
    end = now - ingest_delay
    start = watermark if watermark is not None else end - interval
    skipped = None
    oldest = now - max_lookback
    if start < oldest:
        skipped = Window(start, min(oldest, end))
        start = oldest
    windows = []
    while start < end:
        stop = min(start + max_window, end)
        windows.append(Window(start, stop))
        start = stop
    return WindowPlan(windows, skipped)


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


@dataclass(frozen=True, slots=True)
class _WindowResult:
    matches: int
    alerts_created: int


def _no_channels(alert: Alert) -> Sequence[str]:
    return ()


class DetectionEngine:
    """Runs compiled rules against a store; safe to call from several threads."""

    def __init__(
        self,
        store: Store,
        config: DetectionConfig,
        *,
        route: Router = _no_channels,
        clock: Clock = utcnow,
        record_batch: int = RECORD_BATCH_EVENTS,
        leases: RuleLeases | None = None,
    ) -> None:
        self.store = store
        # None: this is the only detector (tests, the embedded mode's single process).
        self._leases = leases
        self.config = config
        self._record_batch = record_batch
        self._route = route
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

    def run_rule(self, rule: CompiledRule) -> RuleRunReport:
        """Search every due window of ``rule``; raises if a window fails (its watermark is
        then left where it was, so the next run repeats it)."""
        with self._lock(rule.id):
            if self._leases is None:
                return self._run(rule)
            if not self._leases.acquire(rule.id):
                log.debug("rule %s: another detector holds its lease", rule.id)
                return RuleRunReport(rule.id, to_iso(self._clock()), 0.0, leased_elsewhere=True)
            try:
                return self._run(rule)
            finally:
                self._leases.release(rule.id)

    def _lock(self, rule_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(rule_id, threading.Lock())

    def _run(self, rule: CompiledRule) -> RuleRunReport:
        started = time.perf_counter()
        now = self._clock()
        state = self.store.get_rule_state(rule.id)
        plan = plan_windows(
            from_iso(state.watermark) if state else self._origins.get(rule.id),
            now,
            interval=rule.interval,
            ingest_delay=self.config.ingest_delay,
            max_window=self.config.max_window,
            max_lookback=self.config.max_lookback,
        )
        skipped = None
        if plan.skipped is not None:
            skipped = (to_iso(plan.skipped.start), to_iso(plan.skipped.end))
            log.warning(
                "rule %s (%s): not searching events ingested from %s to %s: the watermark is "
                "older than detection.max_lookback (%s); resuming at %s",
                rule.id,
                rule.title,
                skipped[0],
                skipped[1],
                self.config.max_lookback,
                skipped[1],
            )
        if state is None and plan.windows:
            self._origins.setdefault(rule.id, plan.windows[0].start)
        matches = created = done = 0
        watermark = state.watermark if state else None
        try:
            for number, window in enumerate(plan.windows):
                if number and self._leases is not None and not self._leases.acquire(rule.id):
                    log.warning("rule %s: lease lost to another detector mid-backfill", rule.id)
                    break
                result = self._run_window(rule, window, now)
                done = number + 1
                matches += result.matches
                created += result.alerts_created
                watermark = to_iso(window.end)
        except BaseException:
            self._settled.discard(rule.id)
            raise
        if len(plan.windows) > 1:
            log.info(
                "rule %s (%s): backfilled %s to %s in %d windows (%d matches)",
                rule.id,
                rule.title,
                to_iso(plan.windows[0].start),
                to_iso(plan.windows[-1].end),
                len(plan.windows),
                matches,
            )
        return RuleRunReport(
            rule_id=rule.id,
            started_at=to_iso(now),
            duration_s=time.perf_counter() - started,
            windows=done,
            matches=matches,
            alerts_created=created,
            watermark=watermark,
            skipped=skipped,
        )

    def _run_window(self, rule: CompiledRule, window: Window, now: datetime) -> _WindowResult:
        started = time.perf_counter()
        start, end = to_iso(window.start), to_iso(window.end)
        repeat_possible = rule.id not in self._settled
        if isinstance(rule.query, WindowEvaluator):
            matches, drafts = rule.query.evaluate_window(
                self.store, start, end, page_size=self.config.page_size, now=to_iso(now)
            )
            created = self._record_drafts(drafts, repeat_possible)
        else:
            matches, created = self._search_window(rule, start, end, repeat_possible)
        state = RuleState(
            rule_id=rule.id,
            watermark=end,
            last_run_at=to_iso(now),
            last_duration_s=time.perf_counter() - started,
            last_matches=matches,
        )
        finished = to_iso(self._clock())
        run = RuleRun(
            rule_id=rule.id,
            window_start=start,
            window_end=end,
            matches=matches,
            finished_at=finished,
        )
        # Only now, with every alert of the window stored, does the watermark move.
        self.store.complete_window(state, run)
        self._settled.add(rule.id)
        return _WindowResult(matches, created)

    def _search_window(
        self, rule: CompiledRule, start: str, end: str, repeat_possible: bool
    ) -> tuple[int, int]:
        """(matches, alerts created) of one store search over the window."""
        matches = created = 0
        after: tuple[str, str] | None = None
        # Matches are recorded in batches spanning pages, so a grouping rule writes each of its
        # alerts once per batch instead of once per page; the batch bounds the memory held.
        pending: list[Event] = []
        while True:
            page = self.store.search_events(
                rule.query, start, end, after=after, limit=self.config.page_size
            )
            matches += len(page.events)
            pending.extend(page.events)
            if len(pending) >= self._record_batch or (page.after is None and pending):
                created += self._record(rule, pending, repeat_possible)
                pending = []
            if page.after is None:
                break
            after = page.after
        return matches, created

    def _record(self, rule: CompiledRule, events: Sequence[Event], repeat_possible: bool) -> int:
        drafts = build_alerts(rule.alert_rule, events, to_iso(self._clock()))
        return self._record_drafts(drafts, repeat_possible)

    def _record_drafts(self, drafts: Sequence[AlertDraft], repeat_possible: bool) -> int:
        created = 0
        for draft in drafts:
            write = self.store.record_alert(draft.alert, draft.event_ids)
            created += write.created
            if write.created or repeat_possible:
                channels = list(self._route(write.alert))
                if channels:
                    self.store.enqueue_notifications(write.alert.id, channels)
        return created
