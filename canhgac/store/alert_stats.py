"""The alert-statistics interface of a store: the overview's and the rules page's counts,
aggregated where the alerts are (SQL ``GROUP BY`` in SQLite, aggregations in Elasticsearch),
so a page never reads the alerts themselves.

Times are canonical UTC strings compared as text, like every alert filter; an alert is
counted in the window its ``last_seen`` falls in, the time the queue filters and sorts by.
A store hands its implementation out through :meth:`canhgac.store.base.Store.alert_stats`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from canhgac.models import Severity


class AlertDimension(StrEnum):
    """What a top-N list counts alerts by."""

    rule = "rule"  # rule_id
    host = "host"  # snapshot host.name
    source_ip = "source_ip"  # snapshot source.ip
    tag = "tag"  # each of the rule's tags (an alert with three tags counts under each)


@dataclass(frozen=True, slots=True)
class BucketCount:
    """Alerts of one severity whose ``last_seen`` is in ``[edges[bucket], edges[bucket+1])``."""

    bucket: int
    severity: Severity
    alerts: int


@dataclass(frozen=True, slots=True)
class ValueCount:
    value: str
    alerts: int


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule's alerts in a window, and how many of them were closed as false positives."""

    rule_id: str
    alerts: int
    closed: int
    false_positives: int

    @property
    def false_positive_rate(self) -> float | None:
        """False positives among the closed alerts; None while none is closed."""
        return self.false_positives / self.closed if self.closed else None


class AlertStats(ABC):
    """Aggregations over one store's alerts."""

    @abstractmethod
    def histogram(self, edges: Sequence[str]) -> list[BucketCount]:
        """Alert counts per bucket and severity; ``edges`` are ``n + 1`` ascending bucket
        boundaries. Empty buckets are left out."""

    @abstractmethod
    def top(
        self, dimension: AlertDimension, since: str, until: str, *, limit: int = 10
    ) -> list[ValueCount]:
        """The ``limit`` commonest values of ``dimension`` among the alerts of
        ``[since, until)``, most alerts first, then by value. Alerts without it are left out."""

    @abstractmethod
    def rule_outcomes(self, since: str, until: str) -> list[RuleOutcome]:
        """Per rule with alerts in ``[since, until)``: how many, closed, closed as false
        positives; by rule id."""
