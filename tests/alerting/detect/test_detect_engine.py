"""The detection engine against a real SQLite store: windows, watermark, backfill, paging."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.window_plan import Window, plan_windows
from canhgac.config import DetectionConfig
from canhgac.errors import StoreError
from canhgac.models import Alert, AlertFilter, RuleRun, RuleState
from canhgac.store.base import AlertWrite, EventPage, EventSearch
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

BOB_RULE = "sel:\n  user.name: bob\ncondition: sel"
CHANNELS = ["console", "webhook"]


def _config(**overrides: Any) -> DetectionConfig:
    values: dict[str, Any] = {
        "ingest_delay": timedelta(seconds=5),
        "default_interval": timedelta(minutes=1),
        "max_window": timedelta(minutes=10),
        "max_lookback": timedelta(hours=24),
        "page_size": 1000,
    }
    values.update(overrides)
    return DetectionConfig(**values)


def _route(alert: Alert) -> Sequence[str]:
    return CHANNELS


def _bobs(kit: Any, count: int, prefix: str = "e", **fields: Any) -> list[Any]:
    return [kit.event(f"{prefix}{i:03d}", user__name="bob", **fields) for i in range(count)]


class FlakyStore(SQLiteStore):
    """The real store, except that the named methods fail on their n-th call (1-based)."""

    def __init__(self, path: Path, fail_on: dict[str, int], clock: Any) -> None:
        super().__init__(path, now=clock.iso)
        self.fail_on = dict(fail_on)
        self.calls: dict[str, int] = {}

    def _maybe_fail(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.fail_on.get(name) == self.calls[name]:
            raise StoreError(f"injected failure in {name}")

    # Batches are written item by item here, so a failure leaves the items before it
    # stored: the worst case of a store without multi-item transactions.
    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        writes = []
        for item in alerts:
            self._maybe_fail("record_alert")
            writes += super().record_alerts([item])
        return writes

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        for item in items:
            self._maybe_fail("enqueue_notifications")
            super().enqueue_notifications_batch([item])

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        for item in windows:
            self._maybe_fail("complete_window")
            super().complete_windows([item])


def _failed_state(store: SQLiteStore, rule_id: str, error: str) -> RuleState:
    """The state a failed run leaves: its error, and a watermark it did not move (where the
    rule starts when it never completed a window)."""
    state = store.get_rule_state(rule_id)
    assert state is not None and state.last_error is not None and error in state.last_error
    assert state.last_matches == 0
    return state


def _all_alerts(store: SQLiteStore) -> list[Alert]:
    return store.list_alerts(AlertFilter(limit=10_000))


def _assert_contiguous(runs: list[RuleRun]) -> None:
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.window_end == after.window_start, (before, after)


# --- planning ------------------------------------------------------------------------------
T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLAN = {
    "interval": timedelta(minutes=1),
    "ingest_delay": timedelta(seconds=5),
    "max_window": timedelta(minutes=10),
    "max_lookback": timedelta(hours=1),
}


def test_a_rule_without_watermark_starts_one_interval_back() -> None:
    plan = plan_windows(None, T, **PLAN)
    end = T - timedelta(seconds=5)
    assert plan == type(plan)([Window(end - timedelta(minutes=1), end)], None)


def test_a_long_gap_is_cut_into_max_windows_oldest_first() -> None:
    plan = plan_windows(T - timedelta(minutes=25), T, **PLAN)
    starts = [window.start for window in plan.windows]
    assert starts == [T - timedelta(minutes=m) for m in (25, 15, 5)]
    assert plan.windows[-1].end == T - timedelta(seconds=5)
    assert plan.skipped is None


def test_a_watermark_older_than_max_lookback_is_clamped() -> None:
    plan = plan_windows(T - timedelta(hours=3), T, **PLAN)
    assert plan.skipped == Window(T - timedelta(hours=3), T - timedelta(hours=1))
    assert plan.windows[0].start == T - timedelta(hours=1)
    assert len(plan.windows) == 6


def test_a_watermark_at_or_past_the_window_end_plans_nothing() -> None:
    assert plan_windows(T, T, **PLAN).windows == []


# --- running -------------------------------------------------------------------------------
def test_a_run_alerts_once_per_match_enqueues_and_advances_the_watermark(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    store.write_events([*_bobs(kit, 3), kit.event("other", user__name="alice")])
    clock.advance(timedelta(seconds=10))
    engine = DetectionEngine(store, _config(), route=_route, clock=clock)

    report = engine.run_rule(rule)

    assert (report.windows, report.matches, report.alerts_created) == (1, 3, 3)
    alerts = _all_alerts(store)
    assert sorted(event_id for a in alerts for event_id in a.event_ids) == ["e000", "e001", "e002"]
    assert all(a.severity == "high" and a.rule_id == rule.id for a in alerts)
    for alert in alerts:
        assert [n.channel for n in store.list_notifications(alert.id)] == sorted(CHANNELS)
    state = store.get_rule_state(rule.id)
    assert state is not None
    # The store's settled time: now, as nothing is being written (not ingest_delay before).
    assert state.watermark == to_iso(clock.now) == report.watermark
    assert state.last_matches == 3 and state.last_error is None


def test_the_watermark_moves_only_after_the_windows_alerts_are_stored(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = FlakyStore(tmp_path / "flaky.db", {"record_alert": 2}, clock)
    try:
        rule = kit.compile_text(kit.rule_text(BOB_RULE))
        store.write_events(_bobs(kit, 3))
        clock.advance(timedelta(seconds=10))
        engine = DetectionEngine(store, _config(), route=_route, clock=clock)

        with pytest.raises(StoreError, match="injected failure in record_alert"):
            engine.run_rule(rule)
        failed = _failed_state(store, rule.id, "injected failure in record_alert")
        assert store.list_rule_runs(rule.id) == []
        assert len(_all_alerts(store)) == 1

        clock.advance(timedelta(seconds=30))
        report = engine.run_rule(rule)

        runs = store.list_rule_runs(rule.id)
        # The retry searched from where the failed attempt started, not one interval back
        # from the later clock: nothing in between is skipped.
        assert runs[0].window_start == to_iso(clock.now - timedelta(seconds=30 + 60))
        assert runs[0].window_start == failed.watermark  # where the failed run had to start
        assert store.get_rule_state(rule.id).last_error is None  # type: ignore[union-attr]
        assert sum(run.matches for run in runs) == 3
        _assert_contiguous(runs)
        assert report.alerts_created == 2
        assert sorted(a.event_ids[0] for a in _all_alerts(store)) == ["e000", "e001", "e002"]
    finally:
        store.close()


def test_a_crash_before_the_watermark_repeats_the_window_without_doubling(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = FlakyStore(
        tmp_path / "flaky.db", {"complete_window": 1, "enqueue_notifications": 2}, clock
    )
    try:
        rule = kit.compile_text(kit.rule_text(BOB_RULE))
        store.write_events(_bobs(kit, 3))
        clock.advance(timedelta(seconds=10))
        engine = DetectionEngine(store, _config(), route=_route, clock=clock)

        # enqueue fails for the second alert: that run dies before its window completes.
        with pytest.raises(StoreError, match="enqueue_notifications"):
            engine.run_rule(rule)
        # complete_window fails: every alert is stored, the watermark is not.
        with pytest.raises(StoreError, match="complete_window"):
            engine.run_rule(rule)
        _failed_state(store, rule.id, "complete_window")
        report = engine.run_rule(rule)

        alerts = _all_alerts(store)
        assert report.alerts_created == 0
        assert len(alerts) == 3 and all(alert.count == 1 for alert in alerts)
        for alert in alerts:
            assert [n.channel for n in store.list_notifications(alert.id)] == sorted(CHANNELS)
        assert len(store.list_rule_runs(rule.id)) == 1
    finally:
        store.close()


def test_a_restart_continues_at_the_watermark_with_no_gap_and_no_repeat(
    tmp_path: Path, kit: Any
) -> None:
    def real_clock() -> datetime:
        return datetime.now(UTC)

    config = _config(ingest_delay=timedelta(0))
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    path = tmp_path / "restart.db"
    first = SQLiteStore(path)
    first.write_events(_bobs(kit, 2, prefix="a"))
    DetectionEngine(first, config, clock=real_clock).run_rule(rule)
    first.write_events(_bobs(kit, 2, prefix="b"))
    first.close()

    second = SQLiteStore(path)  # the restarted process: new store, new engine
    try:
        second.write_events(_bobs(kit, 2, prefix="c"))
        DetectionEngine(second, config, clock=real_clock).run_rule(rule)

        runs = second.list_rule_runs(rule.id)
        assert len(runs) == 2
        _assert_contiguous(runs)
        assert [run.matches for run in runs] == [2, 4]
        ids = sorted(a.event_ids[0] for a in _all_alerts(second))
        assert ids == ["a000", "a001", "b000", "b001", "c000", "c001"]
    finally:
        second.close()


class _Killed(BaseException):
    """kill -9 in the middle of a search: nothing after it runs, no handler sees it."""


class _DyingStore(SQLiteStore):
    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        raise _Killed


def test_a_process_killed_in_its_first_window_leaves_where_the_rule_starts(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    path = tmp_path / "killed.db"
    first = _DyingStore(path, now=clock.iso)
    first.write_events(_bobs(kit, 2, prefix="a"))
    clock.advance(timedelta(seconds=10))
    with pytest.raises(_Killed):
        DetectionEngine(first, _config(), route=_route, clock=clock).run_rule(rule)
    origin = first.get_rule_state(rule.id)
    first.close()
    assert origin is not None and origin.last_run_at is None

    # The restart comes long after: a rule with no stored start would begin one interval
    # before it and never search the events of the first process.
    clock.advance(timedelta(minutes=5))
    second = SQLiteStore(path, now=clock.iso)
    try:
        DetectionEngine(second, _config(), route=_route, clock=clock).run_rule(rule)
        runs = second.list_rule_runs(rule.id)
        assert runs[0].window_start == origin.watermark
        _assert_contiguous(runs)
        assert sorted(a.event_ids[0] for a in _all_alerts(second)) == ["a000", "a001"]
    finally:
        second.close()


def test_backfill_after_downtime_runs_oldest_first_and_logs_it(
    store: SQLiteStore, kit: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    config = _config(max_window=timedelta(hours=1))
    engine = DetectionEngine(store, config, clock=clock)
    clock.now = datetime.now(UTC) - timedelta(hours=2)
    engine.run_rule(rule)  # the last run before the downtime
    watermark = clock.now
    clock.advance(timedelta(hours=2, minutes=30))
    store.write_events(_bobs(kit, 2))  # stored during the downtime, in its last hour
    clock.advance(timedelta(minutes=30))

    with caplog.at_level(logging.INFO, logger="alerting.detect.run.engine"):
        report = engine.run_rule(rule)

    runs = store.list_rule_runs(rule.id)[1:]
    assert [run.window_start for run in runs] == [
        to_iso(watermark + timedelta(hours=h)) for h in range(3)
    ]
    assert [run.matches for run in runs] == [0, 0, 2]
    _assert_contiguous(store.list_rule_runs(rule.id))
    assert report.windows == 3
    assert caplog.messages == [
        f"rule {rule.id} (Test rule): backfilled {to_iso(watermark)} to "
        f"{to_iso(watermark + timedelta(hours=3))} in 3 windows (2 matches)"
    ]


def test_a_watermark_beyond_max_lookback_is_clamped_with_a_warning(
    store: SQLiteStore, kit: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    config = _config(max_window=timedelta(hours=6))
    engine = DetectionEngine(store, config, clock=clock)
    clock.now = datetime.now(UTC) - timedelta(hours=30)
    engine.run_rule(rule)
    watermark = clock.now
    clock.now = datetime.now(UTC)
    store.write_events(_bobs(kit, 2))
    clock.advance(timedelta(seconds=10))

    with caplog.at_level(logging.WARNING, logger="alerting.detect.run.engine"):
        report = engine.run_rule(rule)

    resume = clock.now - timedelta(hours=24)
    assert report.skipped == (to_iso(watermark), to_iso(resume))
    assert caplog.messages == [
        f"rule {rule.id} (Test rule): not searching events ingested from {to_iso(watermark)} "
        f"to {to_iso(resume)}: the watermark is older than detection.max_lookback "
        f"(1 day, 0:00:00); resuming at {to_iso(resume)}"
    ]
    runs = store.list_rule_runs(rule.id)
    assert runs[1].window_start == to_iso(resume)
    _assert_contiguous(runs[1:])
    assert report.matches == 2


def test_paging_past_page_size_yields_every_alert(store: SQLiteStore, kit: Any, clock: Any) -> None:
    rule = kit.compile_text(kit.rule_text(BOB_RULE))
    store.write_events(_bobs(kit, 10))
    clock.advance(timedelta(seconds=10))

    engine = DetectionEngine(store, _config(page_size=3), clock=clock, record_batch=4)
    report = engine.run_rule(rule)

    assert (report.matches, report.alerts_created) == (10, 10)
    assert len(_all_alerts(store)) == 10


def test_grouping_counts_repeats_across_pages_in_one_alert(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(
        kit.rule_text(
            BOB_RULE, extra="canhgac:\n  group_by: [source.ip]\n  suppress: 30m\n", level="low"
        )
    )
    stamps = ["10:00", "10:10", "10:29", "10:31"]
    events = [
        kit.event(
            f"a{i}",
            user__name="bob",
            source__ip="10.0.0.1",
            **{"@timestamp": f"2026-03-01T{hhmm}:00.000000Z"},
        )
        for i, hhmm in enumerate(stamps)
    ]
    events.append(kit.event("b0", user__name="bob", source__ip="10.0.0.2"))
    store.write_events(events)
    clock.advance(timedelta(seconds=10))

    # Pages of 2, alerts recorded every 2 matches: a group's alert spans several writes.
    engine = DetectionEngine(store, _config(page_size=2), route=_route, clock=clock, record_batch=2)
    report = engine.run_rule(rule)

    alerts = sorted(_all_alerts(store), key=lambda a: (a.group_key["source.ip"], a.first_seen))
    summary = [(a.group_key["source.ip"], a.count, sorted(a.event_ids)) for a in alerts]
    assert summary == [
        ("10.0.0.1", 3, ["a0", "a1", "a2"]),
        ("10.0.0.1", 1, ["a3"]),
        ("10.0.0.2", 1, ["b0"]),
    ]
    assert report.alerts_created == 3
    # Each alert was enqueued once, when it was created.
    assert all(len(store.list_notifications(a.id)) == len(CHANNELS) for a in alerts)


# --- one tick of many rules ------------------------------------------------------------------
class CountingStore(SQLiteStore):
    """The real store, counting the batched calls a tick makes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get_rule_states(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        self._count("get_rule_states")
        return super().get_rule_states(rule_ids)

    def search_events_batch(self, searches: Sequence[EventSearch]) -> list[EventPage | StoreError]:
        self._count("search_events_batch")
        return super().search_events_batch(searches)

    def record_alerts(self, alerts: Sequence[tuple[Alert, Sequence[str]]]) -> list[AlertWrite]:
        self._count("record_alerts")
        return super().record_alerts(alerts)

    def enqueue_notifications_batch(self, items: Sequence[tuple[str, Sequence[str]]]) -> None:
        self._count("enqueue_notifications_batch")
        super().enqueue_notifications_batch(items)

    def complete_windows(self, windows: Sequence[tuple[RuleState, RuleRun]]) -> None:
        self._count("complete_windows")
        super().complete_windows(windows)


def _user_rule(kit: Any, user: str, number: int) -> Any:
    detection = f"sel:\n  user.name: {user}\ncondition: sel"
    rule_id = f"5b3f1b0e-0000-4000-8000-{number:012d}"
    return kit.compile_text(kit.rule_text(detection, rule_id=rule_id), f"r{number}.yml")


def test_a_tick_batches_the_store_calls_of_all_its_rules(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = CountingStore(tmp_path / "count.db")
    try:
        users = ["bob", "eve", "mallory", "trent"]
        rules = [_user_rule(kit, user, n) for n, user in enumerate(users)]
        store.write_events(
            [kit.event(f"{u}{i}", user__name=u) for u in users for i in range(users.index(u) + 1)]
        )
        clock.advance(timedelta(seconds=10))
        engine = DetectionEngine(store, _config(page_size=2), route=_route, clock=clock)

        reports = engine.run_rules(rules)

        assert [(r.rule_id, r.matches, r.alerts_created) for r in reports] == [
            (rule.id, n + 1, n + 1) for n, rule in enumerate(rules)
        ]
        # Pages of 2: trent's 4 matches take 3 page rounds (the last one empty), and every
        # round searches all rules still paging together.
        assert store.calls == {
            "get_rule_states": 1,
            "search_events_batch": 3,
            "record_alerts": 1,
            "enqueue_notifications_batch": 1,
            "complete_windows": 1,
        }
        assert len(_all_alerts(store)) == 10
        assert all(store.get_rule_state(rule.id) is not None for rule in rules)
    finally:
        store.close()


def test_a_failing_rule_is_reported_alone_and_the_others_of_its_tick_complete(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    good = _user_rule(kit, "bob", 1)
    bad = _user_rule(kit, "eve", 2)
    bad = dataclasses.replace(bad, query="no_such_function(user_name)")
    store.write_events(_bobs(kit, 2))
    clock.advance(timedelta(seconds=10))
    engine = DetectionEngine(store, _config(), clock=clock)

    ok, failed = engine.run_rules([good, bad])

    assert (ok.error, ok.alerts_created, ok.windows) == (None, 2, 1)
    assert failed.error is not None and "no_such_function" in failed.error
    assert failed.windows == 0
    [good_run] = store.list_rule_runs(good.id)
    assert _failed_state(store, bad.id, "no_such_function").watermark == good_run.window_start
    assert store.list_rule_runs(bad.id) == []
    with pytest.raises(StoreError, match="no_such_function"):
        engine.run_rule(bad)


class _StatelessStore(SQLiteStore):
    """Cannot read rule states (the store failing at the start of a tick)."""

    def get_rule_states(self, rule_ids: Sequence[str]) -> dict[str, RuleState]:
        raise StoreError("state index unavailable")


def test_a_tick_that_cannot_read_the_watermarks_fails_without_touching_them(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    rule = _user_rule(kit, "bob", 1)
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        store.write_events(_bobs(kit, 2))
        clock.advance(timedelta(seconds=10))
        DetectionEngine(store, _config(), clock=clock).run_rule(rule)
        before = store.get_rule_state(rule.id)
    finally:
        store.close()
    failing = _StatelessStore(tmp_path / "cg.db")
    try:
        clock.advance(timedelta(hours=2))
        [report] = DetectionEngine(failing, _config(), clock=clock).run_rules([rule])
        assert report.error is not None and "state index unavailable" in report.error
        assert report.windows == 0
        assert failing.get_rule_state(rule.id) == before  # no error state over the watermark
    finally:
        failing.close()


def test_windows_end_where_the_writers_report_every_event_searchable() -> None:
    settled = T - timedelta(seconds=1)
    assert plan_windows(T - timedelta(minutes=1), T, **PLAN, settled=settled).windows[-1].end == (
        settled  # not ingest_delay (5 s) before now
    )
    # A writer clock ahead of ours never takes a window past now.
    ahead = plan_windows(T - timedelta(minutes=1), T, **PLAN, settled=T + timedelta(minutes=3))
    assert ahead.windows[-1].end == T
    assert plan_windows(T - timedelta(minutes=1), T, **PLAN).windows[-1].end == T - timedelta(
        seconds=5
    )


class _MarkedStore(SQLiteStore):
    """A store whose writers report events searchable up to ``settled``."""

    settled: str | None = None

    def settled_before(self) -> str | None:
        return self.settled


def test_a_run_searches_up_to_the_writers_marks_and_no_further(
    tmp_path: Path, kit: Any, clock: Any
) -> None:
    store = _MarkedStore(tmp_path / "cg.db")
    try:
        rule = kit.compile_text(kit.rule_text(BOB_RULE))
        store.write_events(_bobs(kit, 2))
        clock.advance(timedelta(seconds=10))
        store.settled = to_iso(clock.now - timedelta(milliseconds=300))
        report = DetectionEngine(store, _config(), clock=clock).run_rule(rule)
        assert report.watermark == store.settled and report.matches == 2
        clock.advance(timedelta(seconds=30))  # the writers' marks did not move: nor do we
        again = DetectionEngine(store, _config(), clock=clock).run_rule(rule)
        assert again.windows == 0 and store.get_rule_state(rule.id).watermark == store.settled  # type: ignore[union-attr]
    finally:
        store.close()
