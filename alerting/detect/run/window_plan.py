"""Which windows of ``event.ingested`` a rule run searches.

Coverage is tracked on ``event.ingested`` (when the store wrote the event), not on the event's
own ``@timestamp``, so late or clock-skewed sources are still searched exactly once:

* a rule's watermark is the end of the last window whose alerts are stored; without one the
  rule starts one interval back (never the whole history);
* a window ends where the store's writers report every earlier event searchable (their
  marks, :meth:`canhgac.store.base.Store.settled_before`), never after now; when the store
  knows no such time, ``ingest_delay`` before now, so batches still being written are not
  missed;
* a rule a person switched off or back on (:class:`~canhgac.models.RuleSwitch`) is bounded
  by :func:`switch_bounds`;
* the range since the watermark is cut into windows of at most ``max_window`` and searched
  oldest first (backfill after downtime), but never further back than ``max_lookback``; the
  part skipped is returned so the caller can log the exact range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from canhgac.models import RuleSwitch
from canhgac.timeutil import from_iso


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open range ``[start, end)`` of ``event.ingested``."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class WindowPlan:
    windows: list[Window]
    # The part of [watermark, now - max_lookback) that will not be searched, if any.
    skipped: Window | None = None


def plan_windows(
    watermark: datetime | None,
    now: datetime,
    *,
    interval: timedelta,
    ingest_delay: timedelta,
    max_window: timedelta,
    max_lookback: timedelta,
    settled: datetime | None = None,
    stop: datetime | None = None,
) -> WindowPlan:
    """The windows a run at ``now`` must search, oldest first; ``settled``: the time before
    which every event is searchable, if the store knows it; ``stop``: no window goes past it."""
    end = now - ingest_delay if settled is None else min(settled, now)
    if stop is not None:
        end = min(end, stop)
    start = watermark if watermark is not None else end - interval
    if start >= end:  # covered up to here already (or switched off before it)
        return WindowPlan([])
    skipped = None
    oldest = now - max_lookback
    if start < oldest:
        skipped = Window(start, min(oldest, end))
        start = oldest
    windows = []
    while start < end:
        stop = min(start + max_window, end)
        windows.append(Window(start, stop))
        start = stop
    return WindowPlan(windows, skipped)


def switch_bounds(
    watermark: datetime | None, switch: RuleSwitch | None
) -> tuple[datetime | None, datetime | None]:
    """(where a rule's windows start, where they stop) once a person switched it.

    Switched off, the rule finishes the windows up to that moment and none after. Switched
    back on, it starts at that moment, not at its watermark: what was ingested while it was off
    is never searched by it. For a SOC this is the useful choice: a rule is switched off because
    it floods the queue or is broken, and searching the off period when it is switched back on
    would replay that flood at once and notify on events hours or weeks old. The range is in the
    audit trail (both switches) and the detector's log; ``canhgac rules backtest`` covers it on
    demand. Nothing else is skipped or searched twice: [watermark, off) then [on, ...).
    """
    if switch is None:
        return watermark, None
    moment = from_iso(switch.changed_at)
    if not switch.enabled:
        return watermark, moment
    if watermark is not None and moment > watermark:
        return moment, None
    return watermark, None
