"""Health numbers tallied from events' fields: per source key, for one write batch
(:func:`tally`), added up over an hour (:meth:`Tally.add`, :func:`merge`), then a bucket
(:meth:`Tally.bucket`). The tallies are stored by :mod:`canhgac.store.sqlite.health_batches`.

The median clock skew comes from a sample, as Elasticsearch's comes from a t-digest: a batch
keeps every skew of a key while it has at most :data:`SAMPLE` events of it, else
:data:`SAMPLE` evenly spaced ones (by rank), each weighted by the events it stands for. It
is exact whenever no batch holds more than :data:`SAMPLE` events of one key; beyond, its
rank is off by at most half an event in ``SAMPLE`` per batch.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any, TypeVar

from canhgac.health.fields import (
    ADDRESS_FIELD,
    DATASET_FIELD,
    FUTURE_TOLERANCE_S,
    HOST_FIELD,
    KEY_FIELDS,
    MODULE_FIELD,
    RAW_MODULE,
    SEQUENCE_FIELDS,
    SOURCE_FIELD,
    first_sequence,
    is_understood,
    key_parts,
)
from canhgac.health.model import HealthBucket, SourceKey
from canhgac.models import TIMESTAMP

#: Skews a batch keeps per source key (see the module's docstring).
SAMPLE = 32
#: An hour's tally compacts its skews and runs once it holds this many (see Tally.add).
COMPACT_AT = 512
#: The canonical time string's length (canhgac.timeutil): such strings sort as times.
_CANONICAL_LENGTH = 27
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_FUTURE_MS = int(FUTURE_TOLERANCE_S * 1000)

Key = tuple[str, str, str]


def epoch_ms(text: Any) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 time (truncated, as Elasticsearch keeps a
    ``date``; naive means UTC), or None when it is no time."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def _iso_of_ms(ms: int) -> str:
    return (_EPOCH + ms * _MS).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Tally:
    """One source key's health numbers over some events; tallies of the same key add up."""

    events: int = 0
    understood: int = 0
    raw: int = 0
    future: int = 0
    first: str | None = None
    last: str | None = None
    skew_min: int | None = None
    skew_max: int | None = None
    #: (skew in ms, how many events it stands for)
    skews: list[tuple[int, int]] = field(default_factory=list)
    #: runs (low, high) of sequence numbers seen
    runs: list[tuple[int, int]] = field(default_factory=list)
    #: sizes at which add() compacts next: twice what the last compaction left, so values
    #: that do not repeat cost amortised linear time, not a sort per batch
    _compact_skews: int = field(default=COMPACT_AT, repr=False, compare=False)
    _compact_runs: int = field(default=COMPACT_AT, repr=False, compare=False)

    def add(self, other: Tally) -> None:
        self.events += other.events
        self.understood += other.understood
        self.raw += other.raw
        self.future += other.future
        self.first = _least(self.first, other.first)
        self.last = _most(self.last, other.last)
        self.skew_min = _least(self.skew_min, other.skew_min)
        self.skew_max = _most(self.skew_max, other.skew_max)
        self.skews += other.skews
        self.runs += other.runs
        # An hour at 300 events/s merges ~360,000 batch rows and a million skews: kept as
        # they come, the hour's computation held them all (RSS +70 MiB in the soak). Equal
        # skews summed and overlapping runs joined answer the same median and span exactly,
        # and real skews repeat (ms values) and real sequence numbers are consecutive.
        if len(self.skews) > self._compact_skews:
            self.skews = _summed(self.skews)
            self._compact_skews = max(COMPACT_AT, 2 * len(self.skews))
        if len(self.runs) > self._compact_runs:
            self.runs = _joined(self.runs)
            self._compact_runs = max(COMPACT_AT, 2 * len(self.runs))

    def bucket(self, key: Key, hour: str, computed_at: str) -> HealthBucket:
        low, high = self.skew_min, self.skew_max
        worst = None if low is None or high is None else (low if -low > high else high)
        median = weighted_median(self.skews)
        distinct, smallest, largest = _run_span(self.runs)
        return HealthBucket(
            key=SourceKey(source=key[0], host=key[1], dataset=key[2]),
            hour=hour,
            events=self.events,
            understood=self.understood,
            raw=self.raw,
            future=self.future,
            first_ingested=self.first,
            last_ingested=self.last,
            skew_median_s=None if median is None else round(median / 1000, 3),
            skew_worst_s=None if worst is None else round(worst / 1000, 3),
            sequenced=distinct,
            sequence_gaps=max(0, largest - smallest + 1 - distinct) if distinct else 0,
            computed_at=computed_at,
        )


Ordered = TypeVar("Ordered", str, int)
Item = TypeVar("Item")


def _least(a: Ordered | None, b: Ordered | None) -> Ordered | None:
    return b if a is None else a if b is None else min(a, b)


def _most(a: Ordered | None, b: Ordered | None) -> Ordered | None:
    return b if a is None else a if b is None else max(a, b)


def weighted_median(skews: Sequence[tuple[int, int]]) -> float | None:
    """The median of weighted values: the mean of the two middle ones for an even total, as
    Elasticsearch's percentiles give it for small counts."""
    total = sum(weight for _, weight in skews)
    if not total:
        return None
    low_rank, high_rank = (total - 1) // 2, total // 2
    low: int | None = None
    seen = 0
    for value, weight in sorted(skews):
        seen += weight
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            return (low + value) / 2 if low is not None else float(value)
    return None


def _summed(skews: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The same weighted values, each value once (its weights summed), in order."""
    weights: defaultdict[int, int] = defaultdict(int)
    for value, weight in skews:
        weights[value] += weight
    return sorted(weights.items())


def _joined(runs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The same numbers as fewest runs: overlapping and adjacent runs joined, in order."""
    joined: list[tuple[int, int]] = []
    for low, high in sorted(runs):
        if joined and low <= joined[-1][1] + 1:
            if high > joined[-1][1]:
                joined[-1] = (joined[-1][0], high)
        else:
            joined.append((low, high))
    return joined


def _run_span(runs: Sequence[tuple[int, int]]) -> tuple[int, int, int]:
    """Distinct numbers in the runs, the smallest and the largest (zeros without runs)."""
    distinct = 0
    end = -1
    for low, high in sorted(runs):
        if high > end:
            distinct += high - max(low, end + 1) + 1
            end = high
    return (distinct, min(r[0] for r in runs), end) if runs else (0, 0, 0)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def tally(events: list[dict[str, Any]], ingested: str) -> dict[Key, Tally]:
    """The tallies per source key of events (their fields) all stored at ``ingested``.

    This runs on every write, so the per-event work is done in C-level passes (``map`` of
    ``dict.get``, ``list.count``); Python code runs per key, not per event."""
    everything = events
    try:
        groups = _grouped(
            everything,
            zip(
                _values(everything, SOURCE_FIELD),
                _values(everything, HOST_FIELD),
                _values(everything, DATASET_FIELD),
                strict=True,
            ),
        )
        for key in [key for key in groups if not key[1]]:
            # no host.name: the sender's address names the host
            group = groups.pop(key)
            addresses = _values(group, ADDRESS_FIELD)
            keys = ((key[0], address, key[2]) for address in addresses)
            for sub, events_of_sub in _grouped(group, keys).items():
                groups.setdefault(sub, []).extend(events_of_sub)
    except TypeError:  # a key part that is a list or an object (log content): the slow way
        groups = defaultdict(list)
        for fields in everything:
            groups[key_parts(fields)].append(fields)
    by_key: dict[Key, list[dict[str, Any]]] = {}
    for key, group in groups.items():
        by_key.setdefault(_text_key(key), []).extend(group)
    at = epoch_ms(ingested)
    numbered = _numbered(everything)
    return {key: _close(key, group, ingested, at, numbered) for key, group in by_key.items()}


def _values(events: list[dict[str, Any]], name: str) -> list[Any]:
    return list(map(dict.get, events, repeat(name)))


def _grouped(
    events: list[dict[str, Any]], keys: Iterable[Any]
) -> defaultdict[Any, list[dict[str, Any]]]:
    """The events by key, each appended to its key's list without a Python-level loop."""
    groups: defaultdict[Any, list[dict[str, Any]]] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), events), maxlen=0)
    return groups


def _text_key(key: tuple[Any, ...]) -> Key:
    source, host, dataset = (part or "" for part in key)
    return (
        source if type(source) is str else str(source),
        host if type(host) is str else str(host),
        dataset if type(dataset) is str else str(dataset),
    )


def _understood(group: list[dict[str, Any]], dataset: str) -> int:
    names = KEY_FIELDS.get(dataset)
    if names is not None and len(names) == 1:
        return len(group) - _values(group, names[0]).count(None)
    return sum(1 for fields in group if is_understood(fields, dataset))


def _numbered(events: list[dict[str, Any]]) -> bool:
    """Whether any of the events has a sequence field (most writes have none)."""
    return any(any(map(dict.__contains__, events, repeat(name))) for name in SEQUENCE_FIELDS)


def _sequences(group: list[dict[str, Any]]) -> list[int]:
    numbers = map(first_sequence, group)
    return [number for number in numbers if number is not None]


def _close(
    key: Key, group: list[dict[str, Any]], ingested: str, at: int | None, numbered: bool
) -> Tally:
    stamps = _values(group, TIMESTAMP)
    result = Tally(
        events=len(group),
        understood=_understood(group, key[2]),
        raw=_values(group, MODULE_FIELD).count(RAW_MODULE),
        first=ingested,
        last=ingested,
        runs=_runs(_sequences(group)) if numbered else [],
    )
    if at is not None:
        _skews(result, stamps, at)
    return result


def _skews(result: Tally, stamps: list[Any], at: int) -> None:
    """Fill the clock-skew numbers of a batch stored at epoch ms ``at`` from its events'
    ``@timestamp`` values. Canonical time strings sort as the times they name, so only the
    extremes and the sampled ones are converted; anything else is converted one by one (a
    value that is no time has no skew)."""
    try:
        canonical = set(map(len, stamps)) == {_CANONICAL_LENGTH}
        if canonical:
            stamps.sort()  # (a TypeError here: values of that length that are not text)
    except TypeError:
        canonical = False
    ranked = _ranked(stamps, at) if canonical else None
    if ranked is None:
        texts = (stamp for stamp in stamps if stamp and type(stamp) is str)
        values = sorted(at - ms for ms in map(epoch_ms, texts) if ms is not None)
        if not values:
            return
        result.skew_min, result.skew_max = values[0], values[-1]
        result.future = bisect_left(values, -_FUTURE_MS)
        result.skews = _picks(values)
        return
    result.skew_min, result.skew_max, result.future, result.skews = ranked


def _ranked(stamps: list[str], at: int) -> tuple[int, int, int, list[tuple[int, int]]] | None:
    """Skew numbers from sorted canonical stamps (latest stamp = smallest skew), or None when
    one that must be converted is no time."""
    newest, oldest = epoch_ms(stamps[-1]), epoch_ms(stamps[0])
    if newest is None or oldest is None:
        return None
    # skew < -tolerance  <=>  stamp's ms >= at + tolerance + 1 ms
    future = len(stamps) - bisect_left(stamps, _iso_of_ms(at + _FUTURE_MS + 1))
    sample: list[tuple[int, int]] = []
    for stamp, weight in _picks(stamps):
        ms = epoch_ms(stamp)
        if ms is None:
            return None
        sample.append((at - ms, weight))
    return at - newest, at - oldest, future, sample


def _picks(values: Sequence[Item]) -> list[tuple[Item, int]]:
    """At most SAMPLE of the ordered values, evenly spaced by rank, with the number of values
    each stands for (they add up to ``len(values)``)."""
    count = len(values)
    if count <= SAMPLE:
        return [(value, 1) for value in values]
    bounds = [count * i // SAMPLE for i in range(SAMPLE + 1)]
    return [
        (values[(bounds[i] + bounds[i + 1]) // 2], bounds[i + 1] - bounds[i]) for i in range(SAMPLE)
    ]


def merge(tallies: Mapping[Key, Tally], into: dict[Key, Tally]) -> None:
    for key, part in tallies.items():
        whole = into.get(key)
        if whole is None:
            into[key] = part
        else:
            whole.add(part)
