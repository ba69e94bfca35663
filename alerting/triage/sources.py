"""The data sources page and API: every source key's health, worst first, and one key in depth.

The numbers and verdicts come from :mod:`alerting.health.report` over the store's hourly
buckets (computed by the detector's health job); this module orders them for an analyst, adds
the sparkline geometry and finds the health alerts raised about a key.

A source key (source, host, dataset) is free text, partly sent by the log itself, so URLs carry
it as one opaque id: the base64url of its JSON ``[source, host, dataset]``
(:func:`source_id`). Only the canonical spelling of an id is accepted, so one key has one URL.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerting.health.report import HOUR, current_hour, list_sources, source_detail
from alerting.health.rules import HEALTH_RULES
from alerting.triage.errors import NotFoundError
from alerting.triage.sparkline import Sparkline, sparkline
from canhgac.config import HealthConfig
from canhgac.errors import StoreError
from canhgac.health.model import (
    HealthBucket,
    Quality,
    SourceDetail,
    SourceHealth,
    SourceKey,
    Status,
    Verdict,
)
from canhgac.models import Alert, AlertFilter
from canhgac.store.base import AlertStore
from canhgac.store.health import HealthStore
from canhgac.timeutil import to_iso

#: The four qualities in the order the page shows them (sống, đủ, đúng, sạch).
QUALITIES = (Quality.live, Quality.complete, Quality.correct, Quality.clean)
#: Worst first: what needs a look comes before what cannot be judged, then what is fine.
STATUS_ORDER = (Status.failing, Status.degraded, Status.unknown, Status.ok)
MAX_ID_CHARS = 2000
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
_ID = re.compile(ID_PATTERN)
#: Health alerts read per rule when looking for one key's (newest first), and shown.
ALERTS_SCANNED = 500
ALERTS_SHOWN = 20


def source_id(key: SourceKey) -> str:
    """The URL-safe id of ``key``."""
    text = json.dumps(
        [key.source, key.host, key.dataset], ensure_ascii=False, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def parse_source_id(value: str) -> SourceKey | None:
    """The key behind an id from :func:`source_id`; None for anything else."""
    if not 0 < len(value) <= MAX_ID_CHARS or not _ID.fullmatch(value):
        return None
    try:
        parts: Any = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    # base64, UTF-8 and JSON errors are all ValueErrors; deep nesting is a RecursionError.
    except (ValueError, RecursionError):
        return None
    if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
        return None
    key = SourceKey(source=parts[0], host=parts[1], dataset=parts[2])
    return key if source_id(key) == value else None


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One source key as the page shows it."""

    id: str
    health: SourceHealth
    spark: Sparkline

    @property
    def key(self) -> SourceKey:
        return self.health.key

    @property
    def status(self) -> Status:
        return self.health.status

    def verdict(self, quality: Quality) -> Verdict:
        found = self.health.verdicts.get(quality)
        return found or Verdict(quality=quality, status=Status.unknown)

    @property
    def last_hour(self) -> HealthBucket | None:
        """The last complete hour (zero when the source sent nothing in it)."""
        return self.health.hourly[-1] if self.health.hourly else None

    @property
    def judged_hour(self) -> HealthBucket | None:
        """The latest hour with records: the one the complete, correct and clean verdicts
        judge (a silent source's is older than :attr:`last_hour`)."""
        return next((h for h in reversed(self.health.hourly) if h.events or h.dead_letters), None)

    def count(self, status: Status) -> int:
        return sum(1 for q in QUALITIES if self.verdict(q).status is status)


def worst_first(row: SourceRow) -> tuple[int, int, int, str, str, str]:
    key = row.key
    return (
        STATUS_ORDER.index(row.status),
        -row.count(Status.failing),
        -row.count(Status.degraded),
        key.source,
        key.host,
        key.dataset,
    )


def status_counts(rows: list[SourceRow]) -> dict[Status, int]:
    return {status: sum(1 for r in rows if r.status is status) for status in STATUS_ORDER}


@dataclass(frozen=True, slots=True)
class SourceBoard:
    generated_at: str
    rows: list[SourceRow]
    counts: dict[Status, int]


@dataclass(frozen=True, slots=True)
class SourcePage:
    generated_at: str
    row: SourceRow
    detail: SourceDetail
    #: health alerts about this key or its whole source, newest first
    alerts: list[Alert]


def concerns(group_key: Mapping[str, Any], key: SourceKey) -> bool:
    """Whether a health alert's group key is about ``key``: the same key, or its whole source
    (dead letters are judged per configured source)."""
    return (
        group_key.get("source") == key.source
        and group_key.get("host", "") in ("", key.host)
        and group_key.get("dataset", "") in ("", key.dataset)
    )


def health_alerts(store: AlertStore, key: SourceKey) -> list[Alert]:
    found = [
        alert
        for rule_id in HEALTH_RULES
        for alert in store.list_alerts(AlertFilter(rule_id=rule_id, limit=ALERTS_SCANNED))
        if concerns(alert.group_key, key)
    ]
    found.sort(key=lambda alert: (alert.last_seen, alert.id), reverse=True)
    return found[:ALERTS_SHOWN]


def row_of(health: SourceHealth) -> SourceRow:
    return SourceRow(id=source_id(health.key), health=health, spark=sparkline(health.hourly))


class DataSources:
    """The data-health views of one store, judged at the app's clock."""

    def __init__(
        self,
        health: HealthStore | None,
        alerts: AlertStore,
        config: HealthConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self._health = health
        self._alerts = alerts
        self.config = config
        self._clock = clock

    @property
    def available(self) -> bool:
        return self._health is not None

    def _store(self) -> HealthStore:
        if self._health is None:
            raise StoreError("this store keeps no data-health numbers")
        return self._health

    def board(self) -> SourceBoard:
        now = self._clock()
        rows = sorted(
            (row_of(h) for h in list_sources(self._store(), self.config, now)), key=worst_first
        )
        return SourceBoard(generated_at=to_iso(now), rows=rows, counts=status_counts(rows))

    def _known(self, key: SourceKey, now: datetime) -> bool:
        """Listed by :meth:`board`: buckets within the baseline, or an event since."""
        health = self._store()
        end = current_hour(now)
        if health.buckets(to_iso(end - self.config.baseline), to_iso(end), key):
            return True
        return key in health.last_seen(to_iso(end - HOUR))

    def page(self, id_: str) -> SourcePage:
        """One key in depth; :class:`NotFoundError` for an id of no known key."""
        now = self._clock()
        key = parse_source_id(id_)
        if key is None or not self._known(key, now):
            raise NotFoundError("no such data source")
        detail = source_detail(self._store(), self.config, key, now)
        return SourcePage(
            generated_at=to_iso(now),
            row=row_of(detail.health),
            detail=detail,
            alerts=health_alerts(self._alerts, key),
        )
