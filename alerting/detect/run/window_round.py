"""One round of a detection tick: the next due window of each rule, searched (all rules'
pages in one batch per page round) or evaluated, its alerts recorded and their notifications
enqueued, and only then its watermark moved (see :mod:`alerting.detect.run.engine`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from alerting.alerts import AlertDraft, build_alerts
from alerting.detect.compile.rules import CompiledRule
from alerting.detect.correlation.reads import SharedReads
from alerting.detect.run.window_plan import Window, WindowPlan
from canhgac.config import DetectionConfig
from canhgac.models import Alert, Event, RuleRun, RuleState
from canhgac.store.base import DetectionStore, EventSearch
from canhgac.timeutil import to_iso

Clock = Callable[[], datetime]
# Which notification channels an alert goes to (empty: none).
Router = Callable[[Alert], Sequence[str]]


@runtime_checkable
class WindowEvaluator(Protocol):
    """A rule query that is not one store search: it reads the store itself and drafts the
    window's alerts (a correlation, see :mod:`alerting.detect.correlation.run`)."""

    def evaluate_window(
        self,
        store: DetectionStore,
        start: str,
        end: str,
        *,
        page_size: int,
        now: str,
        reads: SharedReads | None = None,
    ) -> tuple[int, list[AlertDraft]]:
        """(matched events, alert drafts) for ``[start, end)`` of ``event.ingested``, its
        store reads going through the round's ``reads``."""

    def expect_reads(self, reads: SharedReads, start: str, end: str) -> None:
        """Say what :meth:`evaluate_window` will read, before the round's first evaluation."""


@dataclass(slots=True)
class Progress:
    """One rule's run through its planned windows, filled in round by round."""

    rule: CompiledRule
    plan: WindowPlan
    watermark: str | None
    repeat_possible: bool
    done: int = 0
    matches: int = 0
    created: int = 0
    error: BaseException | None = None
    disabled: bool = False

    def due(self, round_: int) -> Window | None:
        if self.error is not None or round_ >= len(self.plan.windows):
            return None
        return self.plan.windows[round_]


@dataclass(slots=True)
class RoundWork:
    """What one round found for one rule, before it is written."""

    progress: Progress
    window: Window
    matches: int = 0
    drafts: list[AlertDraft] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)


class DetectionStopped(Exception):
    """A stop (the process ending) came before the rule's window was searched to its end:
    its watermark stays, so the next start searches the window again."""

    def __str__(self) -> str:
        return "not run to the end: detection stopped"


def _as_is(alert: Alert) -> Alert:
    return alert


class WindowRound:
    """Runs rounds for one engine: its store, settings and the rules settled in its process."""

    def __init__(
        self,
        store: DetectionStore,
        config: DetectionConfig,
        *,
        route: Router,
        clock: Clock,
        record_batch: int,
        prioritize: Callable[[Alert], Alert] | None,
        settled: set[str],
        stopping: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self._route = route
        self._clock = clock
        self._record_batch = record_batch
        # Sets an alert's priority before it is stored (canhgac.assets.priority); None: none.
        self._prioritize = prioritize
        # The engine's: rules whose last window completed in this process.
        self._settled = settled
        # Set when the process stops: the round ends at its next page of searches (or the
        # next correlation), leaving the windows not searched to their end for the next start.
        self._stopping = stopping or threading.Event()

    def run(self, work: list[RoundWork], now: datetime) -> None:
        """Search (or evaluate) each rule's window, record the alerts, move the watermarks."""
        searched = [w for w in work if not isinstance(w.progress.rule.query, WindowEvaluator)]
        evaluated = [w for w in work if w not in searched]
        reads = SharedReads(self.store, self.config.page_size)
        for item in evaluated:
            self._evaluator(item).expect_reads(
                reads, to_iso(item.window.start), to_iso(item.window.end)
            )
        for item in evaluated:
            if self._stopping.is_set():
                item.progress.error = DetectionStopped()
            else:
                self._evaluate(item, now, reads)
        self._search(searched)
        finished = [w for w in work if w.progress.error is None]
        self._record([d for w in finished for d in w.drafts], finished)
        self._complete(finished, now)

    @staticmethod
    def _evaluator(work: RoundWork) -> WindowEvaluator:
        query = work.progress.rule.query
        assert isinstance(query, WindowEvaluator)
        return query

    def _evaluate(self, work: RoundWork, now: datetime, reads: SharedReads) -> None:
        try:
            work.matches, drafts = self._evaluator(work).evaluate_window(
                self.store,
                to_iso(work.window.start),
                to_iso(work.window.end),
                page_size=self.config.page_size,
                now=to_iso(now),
                reads=reads,
            )
        except Exception as exc:  # noqa: BLE001 - this rule's failure alone
            work.progress.error = exc
        else:
            work.drafts.extend(drafts)

    def _search(self, work: list[RoundWork]) -> None:
        """Page through every rule's window, all rules' pages in one batch per page round.
        Matches become drafts per rule every ``record_batch`` events; drafts are written
        whenever that many are held, which bounds the memory a noisy rule takes."""
        after: dict[int, tuple[str, str] | None] = dict.fromkeys(range(len(work)))
        while after:
            if self._stopping.is_set():
                for key in after:
                    work[key].progress.error = DetectionStopped()
                return
            keys = list(after)
            pages = self.store.search_events_batch(
                [
                    EventSearch(
                        work[k].progress.rule.query,
                        to_iso(work[k].window.start),
                        to_iso(work[k].window.end),
                        after=after[k],
                        limit=self.config.page_size,
                    )
                    for k in keys
                ]
            )
            for key, page in zip(keys, pages, strict=True):
                item = work[key]
                if isinstance(page, Exception):
                    item.progress.error = page
                    del after[key]
                    continue
                item.matches += len(page.events)
                item.pending.extend(page.events)
                if page.after is None:
                    del after[key]
                else:
                    after[key] = page.after
                if len(item.pending) >= self._record_batch or page.after is None:
                    self._draft(item)
            held = [w for w in work if w.drafts and w.progress.error is None]
            if after and sum(len(w.drafts) for w in held) >= self._record_batch:
                self._record([d for w in held for d in w.drafts], held)
                for w in held:
                    w.drafts = []

    def _draft(self, work: RoundWork) -> None:
        if work.pending:
            alert_rule = work.progress.rule.alert_rule
            work.drafts.extend(build_alerts(alert_rule, work.pending, to_iso(self._clock())))
            work.pending = []

    def _record(self, drafts: Sequence[AlertDraft], work: Sequence[RoundWork]) -> None:
        """Store the drafts of ``work`` (in its order) and enqueue their notifications."""
        if not drafts:
            return
        prioritize = self._prioritize or _as_is
        writes = self.store.record_alerts([(prioritize(d.alert), d.event_ids) for d in drafts])
        owners = [w for w in work for _ in w.drafts]
        notes: list[tuple[str, Sequence[str]]] = []
        for owner, write in zip(owners, writes, strict=True):
            owner.progress.created += write.created
            if write.created or owner.progress.repeat_possible:
                channels = list(self._route(write.alert))
                if channels:
                    notes.append((write.alert.id, channels))
        if notes:
            self.store.enqueue_notifications_batch(notes)

    def _complete(self, work: Sequence[RoundWork], now: datetime) -> None:
        """Move the watermarks: only now, with every alert of the windows stored."""
        if not work:
            return
        finished = to_iso(self._clock())
        windows = []
        for item in work:
            start, end = to_iso(item.window.start), to_iso(item.window.end)
            state = RuleState(
                rule_id=item.progress.rule.id,
                watermark=end,
                last_run_at=to_iso(now),
                last_duration_s=time.perf_counter() - item.started,
                last_matches=item.matches,
            )
            run = RuleRun(
                rule_id=item.progress.rule.id,
                window_start=start,
                window_end=end,
                matches=item.matches,
                finished_at=finished,
            )
            windows.append((state, run))
        self.store.complete_windows(windows)
        for item in work:
            progress = item.progress
            progress.done += 1
            progress.matches += item.matches
            progress.watermark = to_iso(item.window.end)
            self._settled.add(progress.rule.id)
            progress.repeat_possible = False
