"""One active dispatcher per store, however many detectors run: a lease decides which.

The dispatcher itself must run alone (two would race for the same pending rows and send
twice, see :mod:`alerting.notify.dispatcher`). In the scaled mode every detector process
starts one, so each pass first takes or renews the store lease ``notify:dispatcher``: the
holder sends, the others idle and take over within ``ttl`` seconds if the holder dies. A pass
that outlives the ttl could overlap the next holder's; keep ``ttl`` well above a pass (sends
are bounded by the channels' timeouts).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from alerting.notify.channel import Channel
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from canhgac.store.base import LeaseStore, NotifyStore

log = logging.getLogger(__name__)

LEASE = "notify:dispatcher"


class LeasedNotifyStore(NotifyStore, LeaseStore, Protocol):
    """The outbox, its alerts and the lease that lets one dispatcher at a time use them."""


class LeasedDispatcher(Dispatcher):
    """A :class:`Dispatcher` that only sends while it holds the dispatcher lease."""

    def __init__(
        self,
        store: LeasedNotifyStore,
        channels: Mapping[str, Channel],
        *,
        owner: str,
        ttl: float = 60.0,
        **options: Any,
    ) -> None:
        super().__init__(store, channels, **options)
        self.lease_store = store
        self.owner = owner
        self.ttl = ttl

    def run_once(self) -> DispatchReport:
        if not self.lease_store.acquire_lease(LEASE, self.owner, self.ttl):
            return DispatchReport()
        return super().run_once()

    def stop(self, timeout: float | None = 30.0) -> None:
        super().stop(timeout)
        try:
            self.lease_store.release_lease(LEASE, self.owner)
        except Exception:  # noqa: BLE001 - the lease then simply expires
            log.warning("could not release the dispatcher lease; it expires by itself")
