"""Per-rule leases, so detectors sharing a rule set never run the same rule at once.

Alerts are already safe without them: alert ids are deterministic, alert documents are
created once and merged by id, notifications are created once per (alert, channel). The lease
saves the duplicate work (two detectors searching the same window) and keeps rule run
history single-writer. A detector takes a rule's lease before a run, renews it before each
further window of a backfill, and releases it after. A detector that dies holding it blocks
the rule for at most ``ttl``, and not at all for its replacement on the same host (see
:mod:`canhgac.store.lease_holders`); a run longer than ``ttl`` between renewals could overlap
another detector's, which is still correct (see above), only wasteful.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from canhgac.store.base import LeaseStore
from canhgac.store.lease_holders import default_owner

log = logging.getLogger(__name__)


class RuleLeases:
    """Takes, renews and releases rule leases in a store on behalf of one detector."""

    def __init__(self, store: LeaseStore, ttl: float, owner: str | None = None) -> None:
        if ttl <= 0:
            raise ValueError("a lease needs a positive ttl")
        self.store = store
        self.ttl = ttl
        self.owner = owner or default_owner()

    @staticmethod
    def name(rule_id: str) -> str:
        return f"rule:{rule_id}"

    def acquire(self, rule_id: str) -> bool:
        """Take the rule's lease, or renew it if this detector holds it already."""
        return self.store.acquire_lease(self.name(rule_id), self.owner, self.ttl)

    def acquire_many(self, rule_ids: Sequence[str]) -> set[str]:
        """:meth:`acquire` for a tick's rules at once; the rule ids this detector now holds."""
        held = self.store.acquire_leases([self.name(r) for r in rule_ids], self.owner, self.ttl)
        return {rule_id for rule_id in rule_ids if self.name(rule_id) in held}

    def release_many(self, rule_ids: Sequence[str]) -> None:
        """:meth:`release` for a tick's rules at once; a failure only logs."""
        if not rule_ids:
            return
        try:
            self.store.release_leases([self.name(r) for r in rule_ids], self.owner)
        except Exception:  # the run is done either way
            log.warning(
                "could not release the leases of %d rules; they expire in %.0fs",
                len(rule_ids),
                self.ttl,
                exc_info=True,
            )

    def release(self, rule_id: str) -> None:
        """Give the lease up; a failure only logs (the lease then expires by itself)."""
        try:
            self.store.release_lease(self.name(rule_id), self.owner)
        except Exception:  # the run is done either way
            log.warning(
                "could not release the lease of rule %s; it expires in %.0fs",
                rule_id,
                self.ttl,
                exc_info=True,
            )
