"""What a correlation measures over one window of its inputs, one class per correlation type.

A window slides over one group's inputs in ``@timestamp`` order; the metric is kept up to date
as inputs enter and leave it (counts, distinct values, exact sums), or computed from the
window's inputs when it needs them all (percentiles, the ordered chain). :data:`METRICS` maps
every pySigma correlation type to its metric; a test checks none is missing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Protocol

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaRuleReference,
)

from canhgac.text import fold

Expression = CorrelationConditionItem | SigmaRuleReference


@dataclass(frozen=True, slots=True)
class Input:
    """What a metric reads of one input: its instant, identity, rule slot and measured value."""

    at: datetime
    key: str
    slot: int
    value: Any


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """The parts of a correlation a metric needs."""

    slots: int
    # Rule reference (as written) -> slot, for extended temporal conditions.
    slot_names: dict[str, int]
    percentile: float | None = None
    expression: Expression | None = None


class Metric(Protocol):
    def add(self, item: Input) -> None: ...

    def remove(self, item: Input) -> None: ...

    def value(self, window: Sequence[Input]) -> float | None:
        """The metric of the window (the inputs currently added), None if undefined."""


def as_number(value: Any) -> float | None:
    """A finite number from a field value (numbers and numeric text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def distinct_value(value: Any) -> Any:
    """Values compare as Sigma compares strings: case-insensitively (Unicode case folding)."""
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, list):
        return tuple(distinct_value(item) for item in value)
    return value


class _Distinct:
    """How many distinct things of the inputs are in the window."""

    def __init__(self, pick: Callable[[Input], Any]) -> None:
        self._pick = pick
        self._seen: Counter[Any] = Counter()

    def add(self, item: Input) -> None:
        thing = self._pick(item)
        if thing is not None:
            self._seen[thing] += 1

    def remove(self, item: Input) -> None:
        thing = self._pick(item)
        if thing is None:
            return
        self._seen[thing] -= 1
        if not self._seen[thing]:
            del self._seen[thing]

    def value(self, window: Sequence[Input]) -> float | None:
        return float(len(self._seen))

    def present(self) -> set[Any]:
        return set(self._seen)


def event_count(spec: MetricSpec) -> Metric:
    # Distinct inputs: an event two referenced rules both match counts once.
    return _Distinct(lambda item: item.key)


def value_count(spec: MetricSpec) -> Metric:
    return _Distinct(lambda item: distinct_value(item.value))


class _Sum:
    """Exact running sum (adding and removing floats would drift, and ``eq`` must not depend
    on the order values came in)."""

    def __init__(self, average: bool) -> None:
        self._average = average
        self._total = Fraction(0)
        self._count = 0

    def _step(self, item: Input, sign: int) -> None:
        number = as_number(item.value)
        if number is not None:
            # As written in decimal (0.1 + 0.2 is 0.3), not as the nearest binary float.
            self._total += sign * Fraction(repr(number))
            self._count += sign

    def add(self, item: Input) -> None:
        self._step(item, 1)

    def remove(self, item: Input) -> None:
        self._step(item, -1)

    def value(self, window: Sequence[Input]) -> float | None:
        if not self._count:
            return None  # no numeric value in the window: nothing to compare
        return float(self._total / self._count if self._average else self._total)


def value_sum(spec: MetricSpec) -> Metric:
    return _Sum(average=False)


def value_avg(spec: MetricSpec) -> Metric:
    return _Sum(average=True)


class _WindowMetric:
    """A metric computed from the whole window when asked."""

    def __init__(self, compute: Callable[[Sequence[Input]], float | None]) -> None:
        self._compute = compute

    def add(self, item: Input) -> None:
        pass

    def remove(self, item: Input) -> None:
        pass

    def value(self, window: Sequence[Input]) -> float | None:
        return self._compute(window)


def percentile_of(numbers: Sequence[float], percentile: float) -> float | None:
    """Linear interpolation between closest ranks (pySigma's SQLite backend does the same)."""
    if not numbers:
        return None
    ordered = sorted(numbers)
    position = (len(ordered) - 1) * percentile / 100
    below = math.floor(position)
    fraction = position - below
    if below + 1 >= len(ordered):
        return ordered[below]
    return ordered[below] * (1 - fraction) + ordered[below + 1] * fraction


def value_percentile(spec: MetricSpec) -> Metric:
    percentile = spec.percentile if spec.percentile is not None else 50.0

    def compute(window: Sequence[Input]) -> float | None:
        numbers = [n for item in window if (n := as_number(item.value)) is not None]
        return percentile_of(numbers, percentile)

    return _WindowMetric(compute)


class _Temporal(_Distinct):
    """How many of the referenced rules matched in the window; with an extended condition
    (``a and (b or c)``), 1 when the expression holds and None when it does not."""

    def __init__(self, spec: MetricSpec) -> None:
        super().__init__(lambda item: item.slot)
        self._spec = spec

    def value(self, window: Sequence[Input]) -> float | None:
        if self._spec.expression is None:
            return float(len(self.present()))
        holds = evaluate_expression(self._spec.expression, self.present(), self._spec.slot_names)
        return 1.0 if holds else None


def temporal(spec: MetricSpec) -> Metric:
    return _Temporal(spec)


def longest_ordered_chain(window: Sequence[Input], slots: int) -> int:
    """The most referenced rules matched in their listed order, each strictly later than the
    one before (inputs at the same instant cannot be ordered, so they do not chain)."""
    best = [0] * slots  # longest chain ending with each slot, over earlier instants
    start = 0
    while start < len(window):
        stop = start + 1  # the window is in time order: inputs of one instant are adjacent
        while stop < len(window) and window[stop].at == window[start].at:
            stop += 1
        updates: dict[int, int] = {}
        for item in window[start:stop]:
            length = max(best[: item.slot], default=0) + 1
            updates[item.slot] = max(updates.get(item.slot, 0), length)
        for slot, length in updates.items():
            best[slot] = max(best[slot], length)
        start = stop
    return max(best, default=0)


def temporal_ordered(spec: MetricSpec) -> Metric:
    return _WindowMetric(lambda window: float(longest_ordered_chain(window, spec.slots)))


def evaluate_expression(node: Expression, present: AbstractSet[Any], slots: dict[str, int]) -> bool:
    """An extended temporal condition over the rules present in the window."""
    if isinstance(node, SigmaRuleReference):
        return slots[node.reference] in present
    if isinstance(node, CorrelationConditionAND):
        return all(evaluate_expression(arg, present, slots) for arg in node.args)
    if isinstance(node, CorrelationConditionOR):
        return any(evaluate_expression(arg, present, slots) for arg in node.args)
    raise ValueError(f"unsupported correlation expression {type(node).__name__}")


def negations(node: Expression) -> bool:
    """Whether an extended condition uses ``not`` (refused: see correlation.plan)."""
    if isinstance(node, CorrelationConditionNOT):
        return True
    if isinstance(node, SigmaRuleReference):
        return False
    return any(negations(arg) for arg in node.args)


def _distinct_keys(spec: MetricSpec, items: Sequence[Input]) -> float | None:
    return float(len({item.key for item in items}))


def _distinct_values(spec: MetricSpec, items: Sequence[Input]) -> float | None:
    return float(len({distinct_value(i.value) for i in items if i.value is not None}))


def _slots_present(spec: MetricSpec, items: Sequence[Input]) -> float | None:
    return slots_ceiling(spec, {item.slot for item in items})


def slots_ceiling(spec: MetricSpec, present: AbstractSet[int]) -> float | None:
    """The most a temporal metric measures over inputs of the rule slots ``present``."""
    if spec.expression is None:
        return float(len(present))
    return 1.0 if evaluate_expression(spec.expression, present, spec.slot_names) else None


Ceiling = Callable[[MetricSpec, Sequence[Input]], float | None]

#: The most a metric can measure over any window of a group's inputs, for the metrics that
#: only grow as a window takes more inputs (a window's inputs are a subset of its group's,
#: and counts, distinct values and rules present never grow by removing one); None: the
#: metric is undefined in every window. A group whose ceiling misses a lower bound of the
#: condition is skipped whole, which spares sliding a window over, say, every accepted
#: login of a user who never failed first.
CEILINGS: dict[str, Ceiling] = {
    "event_count": _distinct_keys,
    "value_count": _distinct_values,
    "temporal": _slots_present,
    "temporal_ordered": _slots_present,
}

#: The types whose ceiling is :func:`slots_ceiling` of the rules a group's inputs come from,
#: so a group can be judged before its inputs are made into windows' items.
SLOTS_CEILING_KINDS = frozenset({"temporal", "temporal_ordered"})

MetricFactory = Callable[[MetricSpec], Metric]

METRICS: dict[str, MetricFactory] = {
    "event_count": event_count,
    "value_count": value_count,
    "temporal": temporal,
    "temporal_ordered": temporal_ordered,
    "value_sum": value_sum,
    "value_avg": value_avg,
    "value_percentile": value_percentile,
    "value_median": value_percentile,
}
