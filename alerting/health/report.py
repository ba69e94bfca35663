"""What the web UI and REST API show about data health (built on the store's numbers, so any
role with a store can answer, not only the detector that computes them).

- :func:`list_sources`: every source key seen within ``health.baseline``, with its four
  verdicts and its last 24 hourly buckets (empty hours filled in);
- :func:`source_detail`: one key, plus its source's commonest dead-letter reasons with raw
  samples and recent events that were stored but not understood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from alerting.health.judge import assess
from canhgac.config import HealthConfig
from canhgac.health.model import HealthBucket, SourceDetail, SourceHealth, SourceKey
from canhgac.store.health import HealthStore
from canhgac.timeutil import floor_to, to_iso

HOUR = timedelta(hours=1)
SERIES_HOURS = 24


def current_hour(now: datetime) -> datetime:
    return floor_to(now, HOUR)


def by_key(buckets: Sequence[HealthBucket]) -> dict[SourceKey, list[HealthBucket]]:
    grouped: dict[SourceKey, list[HealthBucket]] = {}
    for bucket in buckets:
        grouped.setdefault(bucket.key, []).append(bucket)
    return grouped


def last_seen_of(
    history: Sequence[HealthBucket], recent: Mapping[SourceKey, str], key: SourceKey
) -> str | None:
    stamps = [b.last_ingested for b in history if b.last_ingested]
    if key in recent:
        stamps.append(recent[key])
    return max(stamps) if stamps else None


def hourly_series(
    key: SourceKey, history: Sequence[HealthBucket], now: datetime
) -> list[HealthBucket]:
    """The last :data:`SERIES_HOURS` complete hours of ``key``, oldest first, zero-filled."""
    end = current_hour(now)
    found = {b.hour: b for b in history}
    hours = [to_iso(end - HOUR * step) for step in range(SERIES_HOURS, 0, -1)]
    return [found.get(hour) or HealthBucket(key=key, hour=hour) for hour in hours]


def assess_all(
    health: HealthStore,
    config: HealthConfig,
    now: datetime,
    recent: Mapping[SourceKey, str],
) -> list[tuple[SourceHealth, list[HealthBucket]]]:
    """Every known key's health at ``now``, with its history (oldest first). ``recent`` is the
    last event per key since the newest stored hour (:meth:`HealthStore.last_seen`)."""
    end = current_hour(now)
    history = by_key(health.buckets(to_iso(end - config.baseline), to_iso(end)))
    keys = sorted(set(history) | set(recent), key=lambda k: (k.source, k.host, k.dataset))
    result = []
    for key in keys:
        own = history.get(key, [])
        judged, _ = assess(key, own, last_seen_of(own, recent, key), now, config)
        judged.hourly = hourly_series(key, own, now)
        result.append((judged, own))
    return result


def list_sources(health: HealthStore, config: HealthConfig, now: datetime) -> list[SourceHealth]:
    """Every source key seen within ``config.baseline``, ordered by source, host, dataset."""
    recent = health.last_seen(to_iso(current_hour(now) - HOUR))
    return [judged for judged, _ in assess_all(health, config, now, recent)]


def source_detail(
    health: HealthStore,
    config: HealthConfig,
    key: SourceKey,
    now: datetime,
    *,
    samples: int = 10,
) -> SourceDetail:
    """One key's health, its source's top dead-letter reasons over the last 24 hours (with
    raw lines) and its latest not-understood events of the last 24 hours."""
    end = current_hour(now)
    history = health.buckets(to_iso(end - config.baseline), to_iso(end), key)
    recent = health.last_seen(to_iso(end - HOUR))
    judged, _ = assess(key, history, last_seen_of(history, recent, key), now, config)
    judged.hourly = hourly_series(key, history, now)
    since, until = to_iso(now - HOUR * SERIES_HOURS), to_iso(now + HOUR)
    return SourceDetail(
        health=judged,
        dead_letters=health.dead_letter_samples(key.source, since, until),
        not_understood=health.not_understood_samples(key, since, until, limit=samples),
    )
