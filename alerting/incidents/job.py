"""The periodic grouping job of the detect role (``incidents.auto_group``).

Every ``incidents.interval`` it reads the alerts seen since its previous pass (at start:
``incidents.lookback`` back) and hands them to the :class:`IncidentGrouper`. Alerts already in
an incident are skipped there, so overlapping passes and restarts repeat nothing. Detectors
sharing a store share one lease, so one of them groups at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alerting.incidents.grouping import GroupingOutcome, IncidentGrouper
from canhgac.config_incidents import IncidentsConfig
from canhgac.errors import StoreError
from canhgac.lifecycle import Service, every_interval
from canhgac.models import AlertFilter
from canhgac.store.base import Store
from canhgac.timeutil import to_iso, utcnow

log = logging.getLogger(__name__)

LEASE = "canhgac-incident-grouping"
#: Each pass re-reads this much before the previous one began: an alert recorded while that
#: pass ran (its last_seen older than the pass) is not missed.
OVERLAP = timedelta(minutes=5)


class GroupingJob(Service):
    def __init__(
        self,
        store: Store,
        config: IncidentsConfig,
        *,
        owner: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._config = config
        self._owner = owner
        self._clock = clock
        self._grouper = IncidentGrouper(store.incidents(), config, clock=clock)
        self._since: datetime | None = None
        self._scheduler: Any = None

    def run_once(self) -> GroupingOutcome:
        """One pass (when this process holds the lease)."""
        ttl = max(60.0, 3 * self._config.interval.total_seconds())
        if not self._store.acquire_lease(LEASE, self._owner, ttl):
            return GroupingOutcome()
        started = self._clock()
        since = self._since or started - self._config.lookback
        alerts = list(self._store.scan_alerts(AlertFilter(since=to_iso(since))))
        outcome = self._grouper.group(alerts)
        self._since = started - OVERLAP
        if outcome.opened or outcome.joined:
            log.info(
                "incidents: %d opened, %d alerts grouped",
                len(outcome.opened),
                sum(len(ids) for ids in outcome.joined.values()),
            )
        return outcome

    def _tick(self) -> None:
        try:
            self.run_once()
        except StoreError as exc:  # the next pass retries; nothing was half-written
            log.warning("incident grouping failed: %s", exc)

    def start(self) -> None:
        scheduler = every_interval(
            self._tick, self._config.interval.total_seconds(), LEASE, self._clock()
        )
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        try:
            self._store.release_lease(LEASE, self._owner)
        except StoreError:
            log.warning("could not release the grouping lease; it expires by itself")
