"""The geometry of the search page's histogram of hits over time (SVG drawn by the template,
as :mod:`alerting.triage.sparkline`: numbers here, markup escaped there, no inline style)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerting.triage.hunt_service import histogram_edges
from canhgac.timeutil import DISPLAY_ZONE, from_iso, to_iso

WIDTH = 960
HEIGHT = 120


@dataclass(frozen=True, slots=True)
class HistogramBar:
    x: float
    y: float
    width: float
    height: float
    count: int
    #: The bucket in Hanoi time, for the tooltip and the link's range.
    start_local: str
    end_local: str


@dataclass(frozen=True, slots=True)
class Histogram:
    width: int
    height: int
    peak: int
    bars: tuple[HistogramBar, ...]
    first_label: str
    last_label: str


def _local(moment: datetime) -> str:
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%dT%H:%M")


def histogram(
    counts: Sequence[tuple[str, int]], start: datetime, end: datetime, width_seconds: int
) -> Histogram:
    """One bar per bucket between ``start`` and ``end``, empty buckets included."""
    by_start = {to_iso(from_iso(stamp)): count for stamp, count in counts}
    edges = histogram_edges(start, end, width_seconds)
    peak = max(by_start.values(), default=0)
    step = WIDTH / len(edges) if edges else float(WIDTH)
    bars = []
    for index, edge in enumerate(edges):
        count = by_start.get(to_iso(edge), 0)
        height = (HEIGHT - 1) * count / peak if peak else 0.0
        if count:
            height = max(height, 1.5)
        bars.append(
            HistogramBar(
                x=round(index * step, 2),
                y=round(HEIGHT - height, 2),
                width=round(max(step - 1.0, 1.0), 2),
                height=round(height, 2),
                count=count,
                start_local=_local(max(edge, start)),
                end_local=_local(min(edge + timedelta(seconds=width_seconds), end)),
            )
        )
    return Histogram(
        WIDTH,
        HEIGHT,
        peak,
        tuple(bars),
        _local(start).replace("T", " "),
        _local(end).replace("T", " "),
    )
