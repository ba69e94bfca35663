"""A source's own rhythm: how long a silence is normal for it.

From its hourly buckets alone (both stores keep the same ones): within an active hour the
typical gap is about ``3600 / events``; between two active hours, the time from the last event
of the one to the first of the next. The normal longest silence is the 95th percentile of
those gaps, so one past outage does not teach the source that outages are normal. A source
that sends every minute is silent after ``max(floor, factor x ~1 min)``; one that sends once a
night is silent after about three nights.
"""

from __future__ import annotations

from collections.abc import Sequence

from canhgac.config import HealthConfig
from canhgac.health.model import HealthBucket, SourceKey
from canhgac.timeutil import from_iso

HOUR_S = 3600.0
_PERCENTILE = 0.95


def usual_gap_s(buckets: Sequence[HealthBucket]) -> float | None:
    """The 95th-percentile gap between events over ``buckets`` (one key, oldest first), or
    None with fewer than two active hours' worth of evidence."""
    active = [b for b in buckets if b.events and b.first_ingested and b.last_ingested]
    gaps = [HOUR_S / b.events for b in active if b.events > 1]
    for before, after in zip(active, active[1:], strict=False):
        assert before.last_ingested is not None and after.first_ingested is not None
        gap = (from_iso(after.first_ingested) - from_iso(before.last_ingested)).total_seconds()
        gaps.append(max(gap, 0.0))
    if not gaps:
        return None
    gaps.sort()
    return gaps[min(len(gaps) - 1, int(_PERCENTILE * len(gaps)))]


def silent_after_s(
    key: SourceKey, buckets: Sequence[HealthBucket], config: HealthConfig
) -> float | None:
    """How long ``key`` may stay quiet before it is silent; None when it cannot be judged
    (too little history and no override)."""
    override = config.sources.get(key.label) or config.sources.get(key.source)
    if override is not None and override.silent_after is not None:
        return override.silent_after.total_seconds()
    if sum(b.events for b in buckets) < config.min_events:
        return None
    gap = usual_gap_s(buckets)
    if gap is None:
        return None
    return max(config.silence_floor.total_seconds(), config.silence_factor * gap)


def judged(key: SourceKey, config: HealthConfig) -> bool:
    """False when ops turned health off for this source."""
    override = config.sources.get(key.label) or config.sources.get(key.source)
    return override is None or override.enabled
