"""The geometry of a source's hourly bar chart, drawn as inline SVG by the templates.

Only numbers are computed here; the markup is written by a Jinja macro (``_health.html``), so
every text that reaches the SVG (a bar's tooltip) is escaped like the rest of the page, and the
Content-Security-Policy needs no exception: no script, no inline style, colours come from
``app.css`` classes.

Each hour is one bar of its records, stacked bottom-up: events understood, events stored but
not understood, dead letters. A healthy source is a row of even blue bars; a red or amber top
is the hour something went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from canhgac.health.model import HealthBucket

#: Segment kinds, bottom-up; ``app.css`` colours ``.seg-<kind>``.
UNDERSTOOD = "understood"
NOT_UNDERSTOOD = "not-understood"
DEAD_LETTER = "dead-letter"
#: A non-zero count is drawn at least this tall, so one dead letter beside busy hours shows.
MIN_VISIBLE = 1.5


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    hour: HealthBucket
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Sparkline:
    width: int
    height: int
    #: the busiest hour's records (events + dead letters): the top of the scale
    peak: int
    bars: tuple[Bar, ...]


def _counts(hour: HealthBucket) -> tuple[tuple[str, int], ...]:
    understood = min(hour.understood, hour.events)
    return (
        (UNDERSTOOD, understood),
        (NOT_UNDERSTOOD, hour.events - understood),
        (DEAD_LETTER, hour.dead_letters),
    )


def _segments(hour: HealthBucket, scale: float, height: int) -> tuple[Segment, ...]:
    counted = [(kind, count) for kind, count in _counts(hour) if count > 0]
    sizes = [max(count * scale, MIN_VISIBLE) for _, count in counted]
    excess = sum(sizes) - height
    if excess > 0:  # small segments were made visible: the largest gives up the room
        largest = sizes.index(max(sizes))
        sizes[largest] -= excess
    segments: list[Segment] = []
    top = float(height)
    for (kind, _), size in zip(counted, sizes, strict=True):
        top -= size
        segments.append(Segment(kind, round(top, 2) + 0.0, round(size, 2)))  # no -0.0
    return tuple(segments)


def sparkline(
    hours: Sequence[HealthBucket], *, width: int = 144, height: int = 28, gap: float = 1.0
) -> Sparkline:
    """Bars for ``hours`` (oldest first) filling ``width`` x ``height`` pixels."""
    peak = max((h.events + h.dead_letters for h in hours), default=0)
    step = width / len(hours) if hours else float(width)
    scale = (height - 1) / peak if peak else 0.0
    bars = tuple(
        Bar(
            x=round(index * step, 2),
            width=round(max(step - gap, 1.0), 2),
            hour=hour,
            segments=_segments(hour, scale, height - 1),
        )
        for index, hour in enumerate(hours)
    )
    return Sparkline(width=width, height=height, peak=peak, bars=bars)
