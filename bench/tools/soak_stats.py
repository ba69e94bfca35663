"""The soak's arithmetic: per-minute rows from raw samples, ingest lag, latency percentiles, the
RSS trend and the verdict "sustainable or not". Pure functions over plain records, so they are
unit-tested (tests/bench/test_soak_stats.py) apart from the processes they describe.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Minutes skipped by the RSS trend: the first minute warms caches and loads every rule.
WARMUP_MINUTES = 1
# RSS growing faster than this share of its mean per minute is a trend (1 %/min = +60 %/hour).
RSS_GROWTH_PER_MINUTE = 0.01
# The sender trailing its schedule by more than this means the instance pushed back (TCP,
# HTTP) or the machine could not even generate the rate: either way the rate did not hold.
MAX_BEHIND_S = 5.0
_AUDIT_ID = re.compile(r"msg=audit\((\d+\.\d+:\d+)\)")


@dataclass(frozen=True, slots=True)
class Sample:
    """The instance's counters and resources ``at`` seconds after the stream started."""

    at: float
    stored: int  # events written by the indexer
    dead: int  # dead letters written
    dropped: int  # UDP datagrams the kernel dropped
    rss_bytes: int  # the canhgac process tree
    cpu_seconds: float  # user + system, the canhgac process tree
    detect_delay_s: float = 0.0  # how far the most behind rule's coverage trails the clock
    load: float = 0.0  # the machine's 1-minute load average (other work shares the cores)

    @property
    def processed(self) -> int:
        """Records that reached an end: stored, dead-lettered or dropped on the way in."""
        return self.stored + self.dead + self.dropped


@dataclass(frozen=True, slots=True)
class SenderMark:
    """The sender's totals ``at`` seconds after the stream started."""

    at: float
    lines: int
    events: int  # lines minus the audit records joined into an event sent earlier
    behind_s: float = 0.0  # worst delay of a line behind its schedule since the last mark


@dataclass(slots=True)
class AttackSent:
    """A planted attack burst: when its first line left, and when its alert was seen."""

    key: str
    rules: tuple[str, ...]
    planted_at: str  # canonical UTC time stamped on its first line
    sent_at: float  # seconds after the stream started
    alerted_at: float | None = None  # same clock; None while no alert covers it

    @property
    def latency(self) -> float | None:
        return None if self.alerted_at is None else self.alerted_at - self.sent_at


@dataclass(frozen=True, slots=True)
class MinuteRow:
    minute: int  # 1-based
    sent: int  # events sent in the minute
    behind_s: float  # worst delay of the sender behind the stream's schedule
    stored: int
    dead: int
    dropped: int
    lag_s: float  # ingest lag at the end of the minute
    detect_delay_s: float  # the most behind rule's coverage, at the end of the minute
    rss_mb: float
    cpu_pct: float  # of one core, averaged over the minute
    load: float  # the machine's load average at the end of the minute
    planted: int  # attacks planted in the minute
    missed: int  # of those, not alerted (by the end of the run)
    p50_s: float | None  # event -> alert latency of the minute's attacks
    p99_s: float | None


def joined_records(lines: Iterable[str], seen: set[str]) -> int:
    """How many of ``lines`` are audit records of an event whose first record came earlier.

    The instance joins the records of one kernel audit event (same ``audit(time:serial)``)
    into one event, so the sender expects one event per audit id, not per line. ``seen`` is
    the caller's memory of audit ids (trimmed by the caller).
    """
    joined = 0
    for line in lines:
        match = _AUDIT_ID.search(line)
        if match is None:
            continue
        if match.group(1) in seen:
            joined += 1
        else:
            seen.add(match.group(1))
    return joined


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty sequence."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ingest_lag(marks: Sequence[SenderMark], processed: int, now: float) -> float:
    """Seconds since the sender had sent the first event not yet processed (0: caught up).

    ``marks`` are the sender's totals in time order; the lag is interpolated between the two
    marks that bracket ``processed``.
    """
    if not marks or processed >= marks[-1].events:
        return 0.0
    totals = [mark.events for mark in marks]
    index = bisect.bisect_right(totals, processed)
    if index == 0:
        return max(0.0, now - marks[0].at)
    before, after = marks[index - 1], marks[index]
    share = (processed - before.events) / max(1, after.events - before.events)
    return max(0.0, now - (before.at + share * (after.at - before.at)))


def _value_at(marks: Sequence[SenderMark], at: float) -> int:
    index = bisect.bisect_right([mark.at for mark in marks], at)
    return marks[index - 1].events if index else 0


def _sample_at(samples: Sequence[Sample], at: float) -> Sample | None:
    index = bisect.bisect_right([sample.at for sample in samples], at)
    return samples[index - 1] if index else None


def minute_rows(
    samples: Sequence[Sample],
    marks: Sequence[SenderMark],
    attacks: Sequence[AttackSent],
    minutes: int,
) -> list[MinuteRow]:
    """One row per whole minute of the stream, from the samples taken during it."""
    rows: list[MinuteRow] = []
    zero = Sample(0.0, 0, 0, 0, 0, 0.0)
    previous = zero
    for minute in range(1, minutes + 1):
        end = minute * 60.0
        current = _sample_at(samples, end) or zero
        elapsed = max(1e-9, current.at - previous.at)
        planted = [a for a in attacks if end - 60.0 <= a.sent_at < end]
        latencies = [a.latency for a in planted if a.latency is not None]
        rows.append(
            MinuteRow(
                minute=minute,
                sent=_value_at(marks, end) - _value_at(marks, end - 60.0),
                behind_s=max((m.behind_s for m in marks if end - 60.0 < m.at <= end), default=0),
                stored=current.stored - previous.stored,
                dead=current.dead - previous.dead,
                dropped=current.dropped - previous.dropped,
                lag_s=ingest_lag([m for m in marks if m.at <= end], current.processed, end),
                detect_delay_s=current.detect_delay_s,
                rss_mb=current.rss_bytes / 2**20,
                cpu_pct=100.0 * (current.cpu_seconds - previous.cpu_seconds) / elapsed,
                load=current.load,
                planted=len(planted),
                missed=len(planted) - len(latencies),
                p50_s=percentile(latencies, 0.5) if latencies else None,
                p99_s=percentile(latencies, 0.99) if latencies else None,
            )
        )
        previous = current
    return rows


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of ``values`` against their index (0 for fewer than two)."""
    count = len(values)
    if count < 2:
        return 0.0
    mean_x, mean_y = (count - 1) / 2, sum(values) / count
    spread = sum((x - mean_x) ** 2 for x in range(count))
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values)) / spread


def rss_grows(rss_mb: Sequence[float], tolerance: float = RSS_GROWTH_PER_MINUTE) -> bool:
    """True when RSS after the warm-up rises faster than ``tolerance`` of its mean a minute."""
    steady = list(rss_mb[WARMUP_MINUTES:]) if len(rss_mb) > WARMUP_MINUTES + 1 else list(rss_mb)
    if len(steady) < 3:  # two points are a line, not a trend
        return False
    mean = sum(steady) / len(steady)
    return mean > 0 and slope(steady) > tolerance * mean


@dataclass(frozen=True, slots=True)
class Totals:
    """The whole run, after the instance drained what was sent."""

    events_sent: int
    stored: int
    dead: int
    dropped: int

    @property
    def lost(self) -> int:
        """Events sent that neither became events nor dead letters (UDP drops included)."""
        return self.events_sent - self.stored - self.dead


def verdict(
    rows: Sequence[MinuteRow],
    attacks: Sequence[AttackSent],
    totals: Totals,
    interval_s: float,
    *,
    margin_s: float = 10.0,
) -> list[str]:
    """Why the rate is not sustainable; empty when it is.

    Sustainable: the stream sent on schedule, nothing lost (every event stored or
    dead-lettered, no UDP drop), every planted attack alerted, p99 event -> alert latency
    within the rule interval plus ``margin_s``, and no growth trend in RSS.
    """
    reasons: list[str] = []
    behind = max((row.behind_s for row in rows), default=0.0)
    if behind > MAX_BEHIND_S:
        reasons.append(f"sending fell {behind:.0f} s behind schedule (push-back or CPU)")
    if totals.dropped:
        reasons.append(f"{totals.dropped} UDP datagrams dropped")
    if totals.lost > 0:
        reasons.append(f"{totals.lost} events neither stored nor dead-lettered")
    missed = [a for a in attacks if a.alerted_at is None]
    if missed:
        keys = ", ".join(sorted({a.key for a in missed}))
        reasons.append(f"{len(missed)}/{len(attacks)} planted attacks not alerted ({keys})")
    latencies = [a.latency for a in attacks if a.latency is not None]
    goal = interval_s + margin_s
    if latencies and (p99 := percentile(latencies, 0.99)) > goal:
        reasons.append(f"p99 event -> alert latency {p99:.1f} s > {goal:g} s")
    if rss_grows([row.rss_mb for row in rows]):
        reasons.append("RSS grows minute over minute")
    return reasons
