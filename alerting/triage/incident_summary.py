"""The overview's incidents block: incidents not closed, by severity and status, and the
newest of them.

The incident store lists but does not count, and a SOC has tens of incidents open, not
thousands: the counts come from one page of the incidents not closed (at most
:data:`ACTIVE_SAMPLE`), and the page says when there were more.
"""

from __future__ import annotations

from dataclasses import dataclass

from canhgac.models import Severity
from canhgac.store.incidents import (
    Incident,
    IncidentFilter,
    IncidentSort,
    IncidentStatus,
    IncidentStore,
)

ACTIVE_SAMPLE = 1000
LATEST = 5
#: The statuses an incident not closed can have, in the order of the work.
ACTIVE_STATUSES: tuple[IncidentStatus, ...] = tuple(
    status for status in IncidentStatus if status is not IncidentStatus.closed
)
#: Most severe first: the rows an analyst reads first.
SEVERITIES = tuple(reversed(Severity))


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    #: severity -> status -> how many incidents not closed; every pair present (zeros too).
    counts: dict[Severity, dict[IncidentStatus, int]]
    total: int
    #: More incidents are open than were counted (``total`` is a lower bound).
    capped: bool
    #: The newest incidents not closed, newest first.
    latest: list[Incident]

    def by_status(self, status: IncidentStatus) -> int:
        return sum(row[status] for row in self.counts.values())

    def by_severity(self, severity: Severity) -> int:
        return sum(self.counts[severity].values())


def incident_summary(store: IncidentStore) -> IncidentSummary:
    active = store.list_incidents(IncidentFilter(active=True, limit=ACTIVE_SAMPLE))
    counts: dict[Severity, dict[IncidentStatus, int]] = {
        severity: dict.fromkeys(ACTIVE_STATUSES, 0) for severity in SEVERITIES
    }
    for incident in active:
        counts[incident.severity][incident.status] += 1
    latest = store.list_incidents(
        IncidentFilter(active=True, sort=IncidentSort.created, limit=LATEST)
    )
    return IncidentSummary(
        counts=counts, total=len(active), capped=len(active) == ACTIVE_SAMPLE, latest=latest
    )
