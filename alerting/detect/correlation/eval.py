"""Evaluate one correlation over its inputs, in Python, the same way whatever the store.

The semantics, chosen to match the specification and pySigma's SQLite correlation output:

* inputs are grouped by the ``group-by`` values (read through the rule's aliases); strings
  compare case-insensitively, as Sigma compares them; an input missing a group-by value belongs
  to no group and is left out (it cannot be attributed);
* a window is ``[t - timespan, t]`` on ``@timestamp``, ending at an input's instant ``t``:
  everything a window needs has happened by the time it ends, so it is final when evaluated
  (a burst split across two scheduling windows is seen whole by the later run, whose look-back
  reaches ``timespan`` before its start);
* a window qualifies when its metric satisfies every bound of the condition;
* overlapping qualifying windows of one group are one *burst*, which raises one alert.

Only windows ending at a *new* input (ingested in the scheduling window being run) are
evaluated at the top of a correlation, so each window is decided exactly once; a correlation
that feeds another is evaluated over every window of the fetched range.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, overload

from alerting.alerts import event_time
from alerting.detect.correlation.metrics import (
    CEILINGS,
    METRICS,
    SLOTS_CEILING_KINDS,
    Input,
    MetricSpec,
    distinct_value,
    slots_ceiling,
)
from alerting.detect.load.correlations import Bound
from canhgac.models import Event
from canhgac.text import dumps
from canhgac.timeutil import to_iso

GroupKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class CorrelationSpec:
    """A correlation resolved for evaluation: per rule slot, which field holds what."""

    rule_id: str
    kind: str
    span: timedelta
    group_by: tuple[str, ...]
    # Per slot: the event field read for each group-by name (aliases resolved).
    slot_fields: tuple[tuple[str, ...], ...]
    # Per slot: the field measured by value_* types (None otherwise).
    slot_value_fields: tuple[str | None, ...]
    bounds: tuple[Bound, ...]
    metric: MetricSpec

    def holds(self, metric: float | None) -> bool:
        return metric is not None and all(bound.holds(metric) for bound in self.bounds)


@dataclass(frozen=True, slots=True)
class Source:
    """One input before a correlation reads it: a base event or a child's qualifying window."""

    at: datetime
    key: str
    fields: Mapping[str, Any]
    new: bool
    origin: Event | Occurrence


@dataclass(frozen=True, slots=True)
class Item(Input):
    """An input as one correlation reads it."""

    new: bool
    origin: Event | Occurrence


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A qualifying window: ``items[lo..hi]`` of one group, ending at ``end``."""

    rule_id: str
    group: GroupKey
    values: Mapping[str, Any]
    end: datetime
    span: timedelta
    metric: float
    items: Sequence[Item]
    lo: int
    hi: int
    new: bool

    @property
    def start(self) -> datetime:
        return self.end - self.span

    @property
    def key(self) -> str:
        return "\x1f".join((self.rule_id, dumps(list(self.group)), to_iso(self.end)))

    def source(self) -> Source:
        """This window as an input of a correlation that references its rule."""
        return Source(self.end, self.key, self.values, self.new, self)

    def members(self) -> Sequence[Item]:
        return self.items[self.lo : self.hi + 1]


@dataclass(frozen=True, slots=True)
class Burst:
    """Overlapping qualifying windows of one group: one alert."""

    first: Occurrence
    last: Occurrence
    windows: int

    def members(self) -> Sequence[Item]:
        return self.first.items[self.first.lo : self.last.hi + 1]


class WindowView(Sequence[Item]):
    """``items[lo:stop]`` without copying: most metrics never look at the window's inputs."""

    __slots__ = ("_items", "_lo", "_stop")

    def __init__(self, items: Sequence[Item], lo: int, stop: int) -> None:
        self._items, self._lo, self._stop = items, lo, stop

    def __len__(self) -> int:
        return self._stop - self._lo

    @overload
    def __getitem__(self, index: int) -> Item: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Item]: ...

    def __getitem__(self, index: int | slice) -> Item | Sequence[Item]:
        if isinstance(index, slice):
            return [self._items[self._lo + i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self._items[self._lo + index % len(self)]


def event_source(event: Event, new: bool) -> Source:
    return Source(event_time(event), event.id, event.fields, new, event)


def events_of(origin: Event | Occurrence) -> Iterator[Event]:
    """The base events behind an input (a child window's events, recursively)."""
    if isinstance(origin, Event):
        yield origin
        return
    for item in origin.members():
        yield from events_of(item.origin)


def evaluate(
    spec: CorrelationSpec, inputs: Sequence[Sequence[Source]], *, only_new: bool
) -> list[Occurrence]:
    """Every qualifying window; ``inputs[slot]`` are the inputs of the rule in that slot."""
    occurrences: list[Occurrence] = []
    for group, (values, items) in _groups(spec, inputs).items():
        if _may_qualify(spec, items):
            occurrences.extend(_windows(spec, group, values, items, only_new))
    occurrences.sort(key=lambda o: (o.end, o.key))
    return occurrences


def bursts(occurrences: Sequence[Occurrence]) -> list[Burst]:
    """Merge each group's overlapping windows (a window starting before the previous one
    ended continues it)."""
    open_bursts: dict[GroupKey, Burst] = {}
    done: list[Burst] = []
    for occurrence in sorted(occurrences, key=lambda o: (o.end, o.key)):
        current = open_bursts.get(occurrence.group)
        if current is not None and occurrence.start <= current.last.end:
            open_bursts[occurrence.group] = Burst(current.first, occurrence, current.windows + 1)
            continue
        if current is not None:
            done.append(current)
        open_bursts[occurrence.group] = Burst(occurrence, occurrence, 1)
    done.extend(open_bursts.values())
    return sorted(done, key=lambda b: (b.first.end, b.first.key))


# The bounds a metric's ceiling can miss: the ceiling must reach them.
_LOWER_BOUNDS = {"gt": operator.gt, "gte": operator.ge, "eq": operator.ge}


def _may_qualify(spec: CorrelationSpec, items: Sequence[Item]) -> bool:
    """False when no window of this group can qualify (see metrics.CEILINGS)."""
    ceiling_of = CEILINGS.get(spec.kind)
    return ceiling_of is None or _reaches(spec, ceiling_of(spec.metric, items))


def _reaches(spec: CorrelationSpec, ceiling: float | None) -> bool:
    """Whether a metric's ``ceiling`` reaches every lower bound of the condition."""
    if ceiling is None:
        return False
    return all(
        _LOWER_BOUNDS[bound.op](ceiling, bound.value)
        for bound in spec.bounds
        if bound.op in _LOWER_BOUNDS
    )


# An input with its group: (group key, the group-by values as read, the input).
Keyed = tuple[GroupKey, list[Any], Source]


def _groups(
    spec: CorrelationSpec, inputs: Sequence[Sequence[Source]]
) -> dict[GroupKey, tuple[dict[str, Any], list[Item]]]:
    keyed = [list(_keyed(spec.slot_fields[slot], sources)) for slot, sources in enumerate(inputs)]
    enough = _groups_of_enough_rules(spec, keyed)
    groups: dict[GroupKey, tuple[dict[str, Any], list[Item]]] = {}
    for slot, entries in enumerate(keyed):
        value_field = spec.slot_value_fields[slot]
        for group, values, source in entries:
            if enough is not None and group not in enough:
                continue
            value = source.fields.get(value_field) if value_field else None
            item = Item(source.at, source.key, slot, value, source.new, source.origin)
            found = groups.get(group)
            if found is None:
                found = groups[group] = (dict(zip(spec.group_by, values, strict=True)), [])
            found[1].append(item)
    for _, items in groups.values():
        items.sort(key=lambda item: (item.at, item.key, item.slot))
    return groups


def _keyed(names: Sequence[str], sources: Sequence[Source]) -> Iterator[Keyed]:
    """The inputs holding every group-by value, with their groups."""
    folded: dict[str, Any] = {}  # inputs repeat their users and addresses: fold each once
    for source in sources:
        values = [source.fields.get(name) for name in names]
        if any(value is None for value in values):
            continue
        yield tuple(_distinct(value, folded) for value in values), values, source


def _distinct(value: Any, folded: dict[str, Any]) -> Any:
    if type(value) is not str:
        return distinct_value(value)
    found = folded.get(value)
    if found is None:
        found = folded[value] = distinct_value(value)
    return found


def _groups_of_enough_rules(
    spec: CorrelationSpec, keyed: Sequence[Sequence[Keyed]]
) -> set[GroupKey] | None:
    """For the temporal types, the groups with inputs of enough rules for a window to
    qualify (None: any group may): most accepted logins come from a group that never failed,
    and are left out before they become items."""
    if spec.kind not in SLOTS_CEILING_KINDS:
        return None
    present: dict[GroupKey, set[int]] = {}
    for slot, entries in enumerate(keyed):
        for group, _, _ in entries:
            present.setdefault(group, set()).add(slot)
    return {
        group
        for group, slots in present.items()
        if _reaches(spec, slots_ceiling(spec.metric, slots))
    }


def _windows(
    spec: CorrelationSpec,
    group: GroupKey,
    values: Mapping[str, Any],
    items: list[Item],
    only_new: bool,
) -> Iterator[Occurrence]:
    metric = METRICS[spec.kind](spec.metric)
    lo = 0
    start = 0
    while start < len(items):
        end = items[start].at
        stop = start
        # Every input of this instant is inside the window that ends at it.
        while stop < len(items) and items[stop].at == end:
            metric.add(items[stop])
            stop += 1
        while items[lo].at < end - spec.span:
            metric.remove(items[lo])
            lo += 1
        new = any(item.new for item in items[start:stop])
        if new or not only_new:
            measured = metric.value(WindowView(items, lo, stop))
            if measured is not None and spec.holds(measured):
                yield Occurrence(
                    spec.rule_id, group, values, end, spec.span, measured, items, lo, stop - 1, new
                )
        start = stop
