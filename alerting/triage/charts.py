"""The geometry of the overview's charts, drawn as inline SVG by ``_charts.html``.

As with :mod:`alerting.triage.sparkline`, only numbers and links are computed here; the
markup (and so every escaped label) is the template's, and colours are ``app.css`` classes,
so the Content-Security-Policy needs no exception. Every drawn element carries the queue URL
that lists the alerts it counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from canhgac.models import Severity
from canhgac.store.alert_stats import BucketCount, ValueCount

#: Bottom-up stacking order: the most severe on top, where the eye lands first.
STACK_ORDER = (
    Severity.informational,
    Severity.low,
    Severity.medium,
    Severity.high,
    Severity.critical,
)
BAR_WIDTH = 220  # px of the longest bar of a top-N list


def queue_url(**params: str) -> str:
    return "/alerts?" + urlencode({k: v for k, v in params.items() if v})


@dataclass(frozen=True, slots=True)
class Segment:
    severity: Severity
    alerts: int
    y: float
    height: float
    href: str


@dataclass(frozen=True, slots=True)
class Column:
    x: float
    width: float
    start: str
    end: str
    total: int
    segments: tuple[Segment, ...]
    href: str


@dataclass(frozen=True, slots=True)
class TimeChart:
    width: int
    height: int
    peak: int
    columns: tuple[Column, ...]


def time_chart(
    edges: Sequence[str], counts: Sequence[BucketCount], *, width: int = 720, height: int = 160
) -> TimeChart:
    """Stacked columns, one per bucket between consecutive ``edges``."""
    per: dict[int, dict[Severity, int]] = {}
    for c in counts:
        per.setdefault(c.bucket, {})[c.severity] = c.alerts
    buckets = max(len(edges) - 1, 0)
    peak = max((sum(v.values()) for v in per.values()), default=0)
    step = width / buckets if buckets else float(width)
    scale = (height - 1) / peak if peak else 0.0
    columns = []
    for i in range(buckets):
        start, end = edges[i], edges[i + 1]
        top = float(height)
        segments = []
        for severity in STACK_ORDER:
            n = per.get(i, {}).get(severity, 0)
            if not n:
                continue
            size = max(n * scale, 1.5)
            top -= size
            href = queue_url(severity=severity.value, since=start, until=end)
            segments.append(Segment(severity, n, round(max(top, 0.0), 2), round(size, 2), href))
        columns.append(
            Column(
                x=round(i * step, 2),
                width=round(max(step - 1, 1.0), 2),
                start=start,
                end=end,
                total=sum(per.get(i, {}).values()),
                segments=tuple(segments),
                href=queue_url(since=start, until=end),
            )
        )
    return TimeChart(width, height, peak, tuple(columns))


@dataclass(frozen=True, slots=True)
class BarRow:
    label: str
    key: str  # what the label stands for (a rule id, a tag), when it is not the label
    alerts: int
    length: float
    href: str


def bar_rows(values: Sequence[ValueCount], filter_name: str, **fixed: str) -> list[BarRow]:
    """A top-N list as bars scaled to the largest; each links to the queue filtered on it."""
    peak = max((v.alerts for v in values), default=0)
    return [
        BarRow(
            label=v.value,
            key=v.value,
            alerts=v.alerts,
            length=round(max(BAR_WIDTH * v.alerts / peak, 2.0), 2) if peak else 0.0,
            href=queue_url(**{filter_name: v.value}, **fixed),
        )
        for v in values
    ]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    day: str  # start of the Hanoi day (UTC string)
    until: str
    mtta_seconds: float | None
    mttr_seconds: float | None
    x: float
    mtta_y: float | None
    mttr_y: float | None
    href: str


@dataclass(frozen=True, slots=True)
class Trend:
    width: int
    height: int
    peak_seconds: float
    points: tuple[TrendPoint, ...]

    def line(self, which: str) -> str:
        """SVG ``points`` of one series (``mtta`` or ``mttr``), days without a value skipped."""
        coords = ((p.x, getattr(p, f"{which}_y")) for p in self.points)
        return " ".join(f"{x},{y}" for x, y in coords if y is not None)


def trend(
    days: Sequence[tuple[str, str, float | None, float | None]],
    *,
    width: int = 720,
    height: int = 120,
) -> Trend:
    """A line per series over ``days`` of (start, end, MTTA, MTTR) in seconds."""
    values = [v for _, _, a, r in days for v in (a, r) if v is not None]
    peak = max(values, default=0.0)
    step = width / max(len(days) - 1, 1)
    pad = 6

    def y(value: float | None) -> float | None:
        if value is None or not peak:
            return None if value is None else float(height - pad)
        return round(pad + (height - 2 * pad) * (1 - value / peak), 2)

    points = tuple(
        TrendPoint(
            day, until, a, r, round(i * step, 2), y(a), y(r), queue_url(since=day, until=until)
        )
        for i, (day, until, a, r) in enumerate(days)
    )
    return Trend(width, height, peak, points)
