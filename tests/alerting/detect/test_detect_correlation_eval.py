"""The correlation evaluator on its own: which windows qualify, metrics, bursts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionOR,
    SigmaCorrelationType,
    SigmaRuleReference,
)

from alerting.detect.correlation import eval as correlation_eval
from alerting.detect.correlation.eval import CorrelationSpec, Source, bursts, evaluate
from alerting.detect.correlation.metrics import (
    METRICS,
    MetricSpec,
    as_number,
    longest_ordered_chain,
    percentile_of,
)
from alerting.detect.correlation.metrics import Input as MetricInput
from alerting.detect.load.correlations import Bound
from canhgac.models import Event

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def spec(kind: str, *bounds: tuple[str, float], slots: int = 1, **metric: Any) -> CorrelationSpec:
    metric.setdefault("slot_names", {})
    return CorrelationSpec(
        rule_id="r",
        kind=kind,
        span=timedelta(minutes=5),
        group_by=("g",),
        slot_fields=(("g",),) * slots,
        slot_value_fields=("v",) * slots,
        bounds=tuple(Bound(op, value) for op, value in bounds),
        metric=MetricSpec(slots=slots, **metric),
    )


def source(key: str, seconds: float, *, g: Any = "a", v: Any = None, new: bool = True) -> Source:
    event = Event(key, {"g": g, "v": v})
    return Source(T0 + timedelta(seconds=seconds), key, event.fields, new, event)


def ends(occurrences: list[Any]) -> list[float]:
    return [(o.end - T0).total_seconds() for o in occurrences]


def test_every_pysigma_correlation_type_has_a_metric() -> None:
    assert set(METRICS) == {kind.name.lower() for kind in SigmaCorrelationType}


@pytest.mark.parametrize(
    ("bounds", "qualifying"),
    [
        ((("eq", 3),), [20]),
        ((("neq", 3),), [0, 10, 30, 40]),
        ((("lt", 3),), [0, 10]),
        ((("gte", 4),), [30, 40]),
        ((("gt", 1), ("lte", 3)), [10, 20]),
    ],
)
def test_each_window_ends_at_an_input_and_holds_what_came_before(
    bounds: tuple[tuple[str, float], ...], qualifying: list[float]
) -> None:
    inputs = [source(f"e{i}", 10 * i) for i in range(5)]
    assert ends(evaluate(spec("event_count", *bounds), [inputs], only_new=False)) == qualifying


def test_only_windows_ending_at_new_inputs_are_decided() -> None:
    inputs = [source(f"e{i}", 10 * i, new=i >= 3) for i in range(5)]
    found = evaluate(spec("event_count", ("gte", 2)), [inputs], only_new=True)
    assert ends(found) == [30, 40]
    assert [o.metric for o in found] == [4, 5]  # old inputs still count inside the window


def test_inputs_of_one_instant_end_the_same_window() -> None:
    inputs = [source("a", 0), source("b", 0), source("c", 0)]
    [occurrence] = evaluate(spec("event_count", ("eq", 3)), [inputs], only_new=False)
    assert len(occurrence.members()) == 3


def test_an_event_matched_by_two_rules_counts_once() -> None:
    shared = [source("x", 0), source("y", 1)]
    found = evaluate(spec("event_count", ("gte", 3), slots=2), [shared, shared], only_new=False)
    assert found == []


def test_windows_slide_per_group() -> None:
    inputs = [source("a1", 0, g="A"), source("b1", 1, g="B"), source("a2", 2, g="a")]
    found = evaluate(spec("event_count", ("gte", 2)), [inputs], only_new=False)
    assert [(o.group, o.values) for o in found] == [(("a",), {"g": "A"})]


def test_overlapping_windows_are_one_burst_and_distant_ones_are_not() -> None:
    inputs = [source(f"e{i}", s) for i, s in enumerate([0, 100, 200, 1000, 1001])]
    found = bursts(evaluate(spec("event_count", ("gte", 2)), [inputs], only_new=False))
    assert [(b.windows, len(b.members())) for b in found] == [(2, 3), (1, 2)]


def test_value_count_ignores_missing_values_and_folds_case() -> None:
    inputs = [source(f"e{i}", i, v=v) for i, v in enumerate(["Root", "ROOT", None, "admin"])]
    found = evaluate(spec("value_count", ("eq", 2)), [inputs], only_new=False)
    assert ends(found) == [3]


def test_sum_is_exact_whatever_the_order() -> None:
    values = [0.1, 0.2, 0.3, -0.6]
    inputs = [source(f"e{i}", i, v=v) for i, v in enumerate(values)]
    found = evaluate(spec("value_sum", ("eq", 0)), [inputs], only_new=False)
    assert ends(found) == [3]


def test_hostile_values_are_not_numbers() -> None:
    assert [as_number(v) for v in (True, "nan", "inf", "1e3", " 7 ", [1], None, "x")] == [
        None, None, None, 1000.0, 7.0, None, None, None,
    ]  # fmt: skip


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile_of([1, 2, 3, 4], 50) == 2.5
    assert percentile_of([10], 99) == 10
    assert percentile_of([], 50) is None


def _chain(*items: tuple[int, float]) -> int:
    window = [
        MetricInput(T0 + timedelta(seconds=s), f"k{i}", slot, None)
        for i, (slot, s) in enumerate(items)
    ]
    return longest_ordered_chain(window, 3)


def test_the_ordered_chain_follows_rule_order_strictly_in_time() -> None:
    assert _chain((0, 0), (1, 1), (2, 2)) == 3
    assert _chain((2, 0), (1, 1), (0, 2)) == 1
    assert _chain((0, 0), (2, 1), (1, 2)) == 2  # 0 then 1, or 0 then 2
    assert _chain((0, 5), (1, 5), (2, 5)) == 1  # one instant cannot be ordered
    assert _chain((1, 0), (0, 1), (1, 2), (2, 3)) == 3


def _described(occurrences: list[Any]) -> list[tuple[Any, ...]]:
    return [(o.group, o.end, o.metric, o.lo, o.hi, o.new) for o in occurrences]


@pytest.mark.parametrize(
    ("kind", "slots"),
    [("event_count", 2), ("value_count", 1), ("temporal", 2), ("temporal_ordered", 2)],
)
@pytest.mark.parametrize(
    "bounds", [(("gte", 2),), (("gt", 3),), (("eq", 2),), (("lt", 3),), (("gte", 2), ("lte", 4))]
)
def test_groups_skipped_by_their_ceiling_are_those_that_could_never_qualify(
    kind: str, slots: int, bounds: tuple[tuple[str, float], ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(f"{kind}{bounds}")
    inputs = [
        [
            source(
                f"s{slot}e{i}",
                rng.randrange(0, 1200),
                g=rng.choice(["a", "B", "b", "c", "d", "e"]),
                v=rng.choice(["x", "y", "z", None]),
                new=rng.random() < 0.7,
            )
            for i in range(rng.randrange(0, 40))
        ]
        for slot in range(slots)
    ]
    kept = evaluate(spec(kind, *bounds, slots=slots), inputs, only_new=True)
    monkeypatch.setattr(correlation_eval, "CEILINGS", {})
    monkeypatch.setattr(correlation_eval, "SLOTS_CEILING_KINDS", frozenset())
    assert _described(kept) == _described(
        evaluate(spec(kind, *bounds, slots=slots), inputs, only_new=True)
    )


@pytest.mark.parametrize("seed", range(20))
def test_an_extended_temporal_condition_skips_only_groups_it_could_never_hold_for(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # temporal with `a and (b or c)`: a group with logins of rule b alone is skipped before
    # its inputs become items; the outcome is what sliding over every group gives.
    rng = random.Random(seed)
    condition = CorrelationConditionAND(
        [
            SigmaRuleReference("a"),
            CorrelationConditionOR([SigmaRuleReference("b"), SigmaRuleReference("c")]),
        ]
    )
    correlation = spec(
        "temporal", ("eq", 1), slots=3, slot_names={"a": 0, "b": 1, "c": 2}, expression=condition
    )
    inputs = [
        [
            source(f"s{slot}e{i}", rng.randrange(0, 900), g=rng.choice("abcdefg"))
            for i in range(rng.randrange(0, 12))
        ]
        for slot in range(3)
    ]
    kept = evaluate(correlation, inputs, only_new=True)
    monkeypatch.setattr(correlation_eval, "CEILINGS", {})
    monkeypatch.setattr(correlation_eval, "SLOTS_CEILING_KINDS", frozenset())
    assert _described(kept) == _described(evaluate(correlation, inputs, only_new=True))


def test_a_group_missing_a_rule_of_an_ordered_chain_is_never_slid_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slid: list[Any] = []
    windows = correlation_eval._windows

    def counting(spec: CorrelationSpec, group: Any, *rest: Any) -> Any:
        slid.append(group)
        return windows(spec, group, *rest)

    monkeypatch.setattr(correlation_eval, "_windows", counting)
    failures = [source(f"f{i}", i, g="attacker") for i in range(3)]
    logins = [source("ok1", 10, g="attacker")] + [
        source(f"u{i}", i, g=f"user{i}") for i in range(50)
    ]
    found = evaluate(
        spec("temporal_ordered", ("gte", 2), slots=2), [failures, logins], only_new=True
    )
    assert ends(found) == [10]
    assert slid == [("attacker",)]  # the 50 groups with logins only were skipped whole
