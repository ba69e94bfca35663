"""Sigma correlations run by the real engine on a real SQLite store, with a hand-moved clock.

The store stamps ``event.ingested`` from the same clock, so the tests decide exactly which
scheduling window each event falls in, and give every event its own ``@timestamp``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet
from alerting.detect.detector import load_detection
from alerting.detect.run.engine import DetectionEngine
from alerting.detect.run.window_round import WindowEvaluator
from canhgac.config import DetectionConfig
from canhgac.models import Alert, AlertFilter, Event
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import to_iso

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
FAIL_ID = "5b3f1b0e-0000-4000-8000-0000000000a1"
OK_ID = "5b3f1b0e-0000-4000-8000-0000000000a2"
CORR_ID = "5b3f1b0e-0000-4000-8000-0000000000c1"
OUTER_ID = "5b3f1b0e-0000-4000-8000-0000000000c2"


class ClockedStore(SQLiteStore):
    """The real store, stamping ``event.ingested`` from the test's clock."""

    def __init__(self, path: Path, clock: Any) -> None:
        super().__init__(path)
        self.clock = clock

    def _ingested_now(self) -> str:
        return to_iso(self.clock())


def base_rule(rule_id: str, name: str, action: str) -> str:
    return textwrap.dedent(
        f"""\
        title: {name}
        id: {rule_id}
        name: {name}
        status: test
        level: low
        logsource:
          product: canhgac
          service: test
        detection:
          sel:
            event.action: {action}
          condition: sel
        """
    )


def correlation(body: str, *, rule_id: str = CORR_ID, extra: str = "") -> str:
    return (
        f"title: Correlation {rule_id[-2:]}\nid: {rule_id}\nstatus: test\nlevel: high\n{extra}"
        "correlation:\n" + textwrap.indent(textwrap.dedent(body).strip(), "  ") + "\n"
    )


BASE = {
    "fail.yml": base_rule(FAIL_ID, "failed_login", "fail"),
    "ok.yml": base_rule(OK_ID, "login_ok", "ok"),
}


class Harness:
    def __init__(
        self, kit: Any, tmp_path: Path, clock: Any, rules: dict[str, str], **config: Any
    ) -> None:
        settings: dict[str, Any] = {
            "rules_dir": str(kit.write_rules({**BASE, **rules})),
            "pipeline": [str(kit.pipeline_path)],
            "ingest_delay": timedelta(0),
            "default_interval": timedelta(minutes=1),
            **config,
        }
        self.config = DetectionConfig(**settings)
        self.compiled = load_detection(self.config, "sqlite")
        self.clock = clock
        self.store = ClockedStore(tmp_path / f"corr-{len(list(tmp_path.glob('*.db')))}.db", clock)
        self.engine = DetectionEngine(self.store, self.config, clock=clock)
        self.serial = 0

    def rule(self, rule_id: str = CORR_ID) -> CompiledRule:
        return next(
            r for r in [*self.compiled.rules, *self.compiled.correlation_inputs] if r.id == rule_id
        )

    def write(self, *events: tuple[str, float, dict[str, Any]]) -> None:
        """(action, seconds after T0 of its @timestamp, fields), ingested at the clock's now."""
        batch = []
        for action, offset, fields in events:
            self.serial += 1
            stamp = to_iso(T0 + timedelta(seconds=offset))
            batch.append(
                Event(
                    f"ev{self.serial:04d}",
                    {
                        "@timestamp": stamp,
                        "event.dataset": "test",
                        "event.original": "x",
                        "event.action": action,
                        **fields,
                    },
                )
            )
        self.store.write_events(batch)

    def tick(self, seconds: float = 60, rule_id: str = CORR_ID) -> int:
        """Move the clock, run the rule, return the alerts it created."""
        self.clock.advance(timedelta(seconds=seconds))
        report = self.engine.run_rule(self.rule(rule_id))
        assert report.error is None
        return report.alerts_created

    def alerts(self, rule_id: str = CORR_ID) -> list[Alert]:
        return sorted(
            self.store.list_alerts(AlertFilter(rule_id=rule_id, limit=1000)),
            key=lambda a: a.first_seen,
        )

    def evaluate(self, rule_id: str = CORR_ID) -> list[Any]:
        """The rule's drafts over everything stored, as `rules test` runs it."""
        query = self.rule(rule_id).query
        assert isinstance(query, WindowEvaluator)
        _, drafts = query.evaluate_window(
            self.store,
            to_iso(T0 - timedelta(days=1)),
            to_iso(self.clock() + timedelta(days=1)),
            page_size=7,
            now=to_iso(self.clock()),
        )
        return drafts


@pytest.fixture
def harness_factory(kit: Any, tmp_path: Path, clock: Any) -> Iterator[Any]:
    clock.now = T0 - timedelta(minutes=1)
    made: list[Harness] = []

    def make(rules: dict[str, str], **config: Any) -> Harness:
        harness = Harness(kit, tmp_path, clock, rules, **config)
        assert harness.compiled.errors == [], [str(e) for e in harness.compiled.errors]
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.store.close()


def fails(
    count: int, start: float, step: float = 1, **fields: Any
) -> list[tuple[str, float, dict[str, Any]]]:
    return [
        ("fail", start + i * step, {"source.ip": "203.0.113.5", **fields}) for i in range(count)
    ]


COUNT_5_IN_5M = correlation(
    """
    type: event_count
    rules: [failed_login]
    group-by: [source.ip]
    timespan: 5m
    condition:
      gte: 5
    """
)


# --- windows and bursts --------------------------------------------------------------------
def test_a_burst_split_across_two_scheduling_windows_alerts_once(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M})
    assert h.tick(0) == 0  # the first run only sets the watermark
    h.write(*fails(3, 10))
    assert h.tick() == 0  # 3 of 5: nothing yet
    h.write(*fails(3, 70))
    assert h.tick() == 1  # the look-back sees all 6 within 5 minutes
    h.write(*fails(2, 130))
    assert h.tick() == 0  # the burst goes on: the same alert grows

    [alert] = h.alerts()
    assert alert.count == 8
    assert alert.group_key == {"source.ip": "203.0.113.5"}
    assert (alert.first_seen, alert.last_seen) == (
        to_iso(T0 + timedelta(seconds=10)),
        to_iso(T0 + timedelta(seconds=131)),
    )
    assert alert.severity == "high" and alert.rule_id == CORR_ID


def test_re_running_every_window_changes_nothing(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M})
    h.tick(0)
    for start in (10, 70, 130, 500):
        h.write(*fails(3, start))
        h.tick()
    before = [(a.id, a.count, a.first_seen, a.last_seen) for a in h.alerts()]
    query = h.rule().query
    for run in h.store.list_rule_runs(CORR_ID):
        _, drafts = query.evaluate_window(
            h.store, run.window_start, run.window_end, page_size=2, now=to_iso(h.clock())
        )
        for draft in drafts:
            assert h.store.record_alert(draft.alert, draft.event_ids).created is False
    assert [(a.id, a.count, a.first_seen, a.last_seen) for a in h.alerts()] == before
    # 10..132 is one burst; 500..502 alone is only 3 events.
    assert [a.count for a in h.alerts()] == [9]


def test_bursts_further_apart_than_the_timespan_are_separate_alerts(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M})
    h.write(*fails(5, 0), *fails(5, 1000))
    assert [d.alert.count for d in h.evaluate()] == [5, 5]


def test_the_window_includes_both_ends_of_the_timespan(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M})
    # 5 events spread over exactly 300 s: one window holds them all.
    h.write(*fails(5, 0, step=75))
    assert len(h.evaluate()) == 1
    h2 = harness_factory({"c.yml": COUNT_5_IN_5M})
    h2.write(*fails(5, 0, step=75.000001))
    assert h2.evaluate() == []


def test_events_missing_a_group_by_value_belong_to_no_group(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M})
    h.write(*[("fail", i, {}) for i in range(10)])
    assert h.evaluate() == []


def test_group_values_compare_case_insensitively(harness_factory: Any) -> None:
    rule = COUNT_5_IN_5M.replace("[source.ip]", "[user.name]")
    h = harness_factory({"c.yml": rule})
    h.write(
        *[
            ("fail", i, {"user.name": name})
            for i, name in enumerate(["Nguyễn", "NGUYỄN", "nguyễn", "Nguyễn", "nGuyễn"])
        ]
    )
    [draft] = h.evaluate()
    assert draft.alert.group_key == {"user.name": "Nguyễn"} and draft.alert.count == 5


# --- conditions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "fires_at"),
    [
        ("eq: 3", [3]),
        ("neq: 3", [1, 2, 4, 5]),
        ("lt: 3", [1, 2]),
        ("lte: 3", [1, 2, 3]),
        ("gt: 3", [4, 5]),
        ("gte: 3", [3, 4, 5]),
        ("gt: 1\n    lte: 3", [2, 3]),  # a range: both bounds hold
    ],
)
def test_conditions_are_decided_per_window_including_ranges(
    harness_factory: Any, condition: str, fires_at: list[int]
) -> None:
    rule = COUNT_5_IN_5M.replace("gte: 5", condition)
    h = harness_factory({"c.yml": rule})
    h.write(*fails(5, 0, step=10))
    # Windows end at each event; the n-th one holds n events. Overlapping windows merge,
    # so the windows that qualified are read back from each alert's events.
    drafts = h.evaluate()
    counts = sorted(len(d.event_ids) for d in drafts)
    assert sum(1 for d in drafts) >= 1
    assert max(counts) == max(fires_at)
    assert all(
        d.alert.last_seen <= to_iso(T0 + timedelta(seconds=10 * (max(fires_at) - 1)))
        for d in drafts
    )


def test_value_count_counts_distinct_values_case_insensitively(harness_factory: Any) -> None:
    rule = correlation(
        """
        type: value_count
        rules: [failed_login]
        group-by: [source.ip]
        timespan: 10m
        condition:
          field: user.name
          gte: 3
        """
    )
    h = harness_factory({"c.yml": rule})
    h.write(
        *[
            ("fail", i, {"source.ip": "198.51.100.7", "user.name": n})
            for i, n in enumerate(["admin", "ADMIN", "Admin", "root", "root"])
        ]
    )
    assert h.evaluate() == []  # two distinct users, five attempts
    h.write(("fail", 9, {"source.ip": "198.51.100.7", "user.name": "oracle"}))
    [draft] = h.evaluate()
    assert draft.alert.count == 6


def test_value_sum_avg_and_percentile_measure_a_numeric_field(harness_factory: Any) -> None:
    events = [
        ("fail", i, {"source.ip": "10.0.0.1", "http.response.body.bytes": v})
        for i, v in enumerate([100, "300", 200, "n/a", 400])
    ]

    def fires(kind: str, condition: str) -> bool:
        rule = correlation(
            f"type: {kind}\nrules: [failed_login]\ngroup-by: [source.ip]\ntimespan: 5m\n"
            f"condition:\n  field: http.response.body.bytes\n  {condition}\n"
        )
        h = harness_factory({"c.yml": rule})
        h.write(*events)
        return bool(h.evaluate())

    assert fires("value_sum", "eq: 1000") and not fires("value_sum", "gt: 1000")
    assert fires("value_avg", "eq: 250") and not fires("value_avg", "gt: 250")
    # 90th percentile of 100, 200, 300, 400: 370 (linear between ranks).
    assert fires("value_percentile", "gte: 370\n  percentile: 90")
    assert not fires("value_percentile", "gt: 370\n  percentile: 90")
    assert fires("value_median", "eq: 250")


# --- temporal ------------------------------------------------------------------------------
TEMPORAL = """
type: {kind}
rules: [failed_login, login_ok]
group-by: [user.name]
timespan: 10m
"""


@pytest.mark.parametrize(
    ("kind", "order", "fires"),
    [
        ("temporal", ["fail", "ok"], True),
        ("temporal", ["ok", "fail"], True),
        ("temporal_ordered", ["fail", "ok"], True),
        ("temporal_ordered", ["ok", "fail"], False),
    ],
)
def test_temporal_needs_all_rules_and_temporal_ordered_their_order(
    harness_factory: Any, kind: str, order: list[str], fires: bool
) -> None:
    h = harness_factory({"c.yml": correlation(TEMPORAL.format(kind=kind))})
    h.write(*[(action, 60 * i, {"user.name": "lan"}) for i, action in enumerate(order)])
    assert bool(h.evaluate()) is fires


def test_temporal_ordered_does_not_chain_events_of_the_same_instant(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": correlation(TEMPORAL.format(kind="temporal_ordered"))})
    h.write(("fail", 5, {"user.name": "lan"}), ("ok", 5, {"user.name": "lan"}))
    assert h.evaluate() == []
    h.write(("ok", 6, {"user.name": "lan"}))
    assert len(h.evaluate()) == 1


def test_temporal_outside_the_timespan_or_across_groups_does_not_fire(harness_factory: Any) -> None:
    h = harness_factory({"c.yml": correlation(TEMPORAL.format(kind="temporal"))})
    h.write(
        ("fail", 0, {"user.name": "lan"}),
        ("ok", 601, {"user.name": "lan"}),
        ("ok", 30, {"user.name": "minh"}),
    )
    assert h.evaluate() == []


def test_aliases_group_differently_named_fields(harness_factory: Any) -> None:
    rule = correlation(
        """
        type: temporal
        rules: [failed_login, login_ok]
        group-by: [ip]
        timespan: 5m
        aliases:
          ip:
            failed_login: source.ip
            login_ok: destination.ip
        """
    )
    h = harness_factory({"c.yml": rule})
    h.write(
        ("fail", 0, {"source.ip": "10.1.1.1", "destination.ip": "10.9.9.9"}),
        ("ok", 10, {"source.ip": "10.9.9.9", "destination.ip": "10.2.2.2"}),
    )
    assert h.evaluate() == []  # 10.1.1.1 vs 10.2.2.2
    h.write(("ok", 20, {"destination.ip": "10.1.1.1"}))
    [draft] = h.evaluate()
    assert draft.alert.group_key == {"ip": "10.1.1.1"}


def test_extended_temporal_condition(harness_factory: Any) -> None:
    rule = correlation(
        """
        type: temporal
        group-by: [user.name]
        timespan: 5m
        condition: failed_login or login_ok
        """
    )
    h = harness_factory({"c.yml": rule})
    h.write(("ok", 0, {"user.name": "lan"}))
    assert len(h.evaluate()) == 1


# --- correlations of correlations, generate ------------------------------------------------------
INNER = correlation(
    """
    type: event_count
    rules: [failed_login]
    group-by: [user.name]
    timespan: 10m
    condition:
      gte: 3
    """,
    extra="name: many_failures\n",
)
OUTER = correlation(
    """
    type: temporal_ordered
    rules: [many_failures, login_ok]
    group-by: [user.name]
    timespan: 10m
    """,
    rule_id=OUTER_ID,
)


def test_a_correlation_of_a_correlation(harness_factory: Any) -> None:
    h = harness_factory({"inner.yml": INNER, "outer.yml": OUTER})
    # Two failures then a success: the inner never qualifies.
    h.write(*[("fail", i, {"user.name": "lan"}) for i in range(2)], ("ok", 5, {"user.name": "lan"}))
    assert h.evaluate(OUTER_ID) == []
    # Three failures, then a success: fires, and the alert holds every event behind it.
    h.write(
        *[("fail", 100 + i, {"user.name": "hoa"}) for i in range(3)],
        ("ok", 200, {"user.name": "hoa"}),
    )
    [draft] = h.evaluate(OUTER_ID)
    assert draft.alert.group_key == {"user.name": "hoa"} and draft.alert.count == 4
    # The success must come after the inner correlation qualified.
    h.write(
        ("ok", 300, {"user.name": "mai"}),
        *[("fail", 301 + i, {"user.name": "mai"}) for i in range(3)],
    )
    assert [d.alert.group_key["user.name"] for d in h.evaluate(OUTER_ID)] == ["hoa"]


def test_the_outer_look_back_covers_both_timespans(harness_factory: Any) -> None:
    h = harness_factory({"inner.yml": INNER, "outer.yml": OUTER})
    assert h.rule(OUTER_ID).query.root.lookback == timedelta(minutes=20)
    h.tick(0, OUTER_ID)
    h.write(*[("fail", 10 + i, {"user.name": "hoa"}) for i in range(3)])
    assert h.tick(60, OUTER_ID) == 0
    h.clock.advance(timedelta(minutes=8))
    h.write(("ok", 60 * 9, {"user.name": "hoa"}))
    assert h.tick(60, OUTER_ID) == 1


def test_generate_false_silences_referenced_rules_and_true_keeps_them(harness_factory: Any) -> None:
    h = harness_factory({"inner.yml": INNER, "outer.yml": OUTER})
    scheduled = {r.id for r in h.compiled.rules}
    inputs = {r.id for r in h.compiled.correlation_inputs}
    assert scheduled == {OUTER_ID}
    assert inputs == {FAIL_ID, OK_ID, CORR_ID}

    loud = OUTER.replace("timespan: 10m\n", "timespan: 10m\n  generate: true\n")
    h2 = harness_factory(
        {
            "inner.yml": INNER.replace("condition:", "generate: true\n  condition:"),
            "outer.yml": loud,
        }
    )
    assert {r.id for r in h2.compiled.rules} == {FAIL_ID, OK_ID, CORR_ID, OUTER_ID}
    assert h2.compiled.correlation_inputs == []


# --- refusals ------------------------------------------------------------------------------
def _refused(kit: Any, tmp_path: Path, rules: dict[str, str], **config: Any) -> CompiledRuleSet:
    settings = DetectionConfig(
        rules_dir=str(
            kit.write_rules({**BASE, **rules}, folder=f"r{len(list(tmp_path.iterdir()))}")
        ),
        pipeline=[str(kit.pipeline_path)],
        **config,
    )
    return load_detection(settings, "sqlite")


@pytest.mark.parametrize(
    ("rules", "line", "message"),
    [
        (
            {"c.yml": COUNT_5_IN_5M.replace("[failed_login]", "[nope]")},
            7,
            "references unknown rule 'nope'",
        ),
        (
            {
                "c.yml": correlation(
                    "type: temporal\nrules: [failed_login, login_ok]\ngroup-by: [ip]\ntimespan: 5m\naliases:\n  ip:\n    failed_login: source.ip\n"
                )
            },
            5,
            "alias 'ip' has no field for rule",
        ),
        (
            {
                "inner.yml": INNER,
                "outer.yml": OUTER.replace("group-by: [user.name]", "group-by: [source.ip]"),
            },
            5,
            "is not in the group-by of referenced correlation",
        ),
        (
            {
                "c.yml": correlation(
                    "type: temporal\ngroup-by: [user.name]\ntimespan: 5m\ncondition: failed_login and not login_ok\n"
                )
            },
            9,
            "cannot be decided when a sliding window ends",
        ),
        (
            {"c.yml": COUNT_5_IN_5M.replace("timespan: 5m", "timespan: 2d")},
            9,
            "detection.max_lookback is 1 day",
        ),
        (
            {
                "c.yml": correlation(
                    "type: event_count\nrules: [loop]\ngroup-by: [a]\ntimespan: 5m\ncondition:\n  gte: 1\n",
                    extra="name: loop\n",
                )
            },
            8,
            "a cycle",
        ),
        (
            {"c.yml": COUNT_5_IN_5M.replace("group-by", "groupby")},
            8,
            "unknown key 'correlation.groupby'",
        ),
        (
            {"c.yml": COUNT_5_IN_5M.replace("gte: 5", "gte: 5\n    between: 7")},
            12,
            "unknown correlation condition operator 'between'",
        ),
    ],
)
def test_a_correlation_that_cannot_be_evaluated_faithfully_is_refused_with_its_line(
    kit: Any, tmp_path: Path, rules: dict[str, str], line: int, message: str
) -> None:
    compiled = _refused(kit, tmp_path, rules, max_lookback=timedelta(days=1))
    [refused] = [e.path for e in compiled.errors]
    assert not any(str(r.source.path) == refused for r in compiled.rules)
    [error] = [e for e in compiled.errors if message in str(e)]
    assert error.line == line, str(error)
    assert error.path is not None and error.path.endswith(".yml")


def test_a_refused_correlation_leaves_its_base_rules_alerting(kit: Any, tmp_path: Path) -> None:
    compiled = _refused(
        kit, tmp_path, {"c.yml": COUNT_5_IN_5M.replace("timespan: 5m", "timespan: 2d")}
    )
    assert {r.id for r in compiled.rules} == {FAIL_ID, OK_ID}


def test_a_hostile_group_value_is_bounded_and_still_continues_its_alert(
    harness_factory: Any,
) -> None:
    h = harness_factory({"c.yml": COUNT_5_IN_5M.replace("[source.ip]", "[user.name]")})
    name = "Ă" * 5000
    h.tick(0)
    h.write(*[("fail", 10 + i, {"user.name": name}) for i in range(5)])
    assert h.tick() == 1
    h.write(*[("fail", 70 + i, {"user.name": name}) for i in range(2)])
    assert h.tick() == 0
    [alert] = h.alerts()
    assert len(alert.group_key["user.name"]) == 1025 and alert.count == 7
