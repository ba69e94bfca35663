"""Alert priority = rule severity x asset criticality, on a small scale of 0 to 16.

=============  ======  ==================  ======
severity       weight  asset criticality   weight
=============  ======  ==================  ======
informational  0       low                 1
low            1       medium              2
medium         2       high                3
high           3       critical            4
critical       4       (no known asset)    2
=============  ======  ==================  ======

An alert's asset is the most critical one its host, source or destination resolves to (the
grouping key first, then the snapshot). An alert on no known asset counts as medium: neither
hidden below the inventoried systems nor raised above them. Bands for the eye: 12-16 urgent
(a critical rule on a high or critical system, a high rule on a critical one), 8-11 high,
4-7 medium, 0-3 low.

The priority is computed once, when the alert is created (the detector, before it stores the
alert), and stored with the alert so both stores can sort on it; an inventory change affects
the alerts created after it. The alert page shows the current inventory's context beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from canhgac.assets.context import alert_context
from canhgac.assets.lookup import AssetIndex
from canhgac.assets.model import Asset, Criticality
from canhgac.models import Alert, Severity

SEVERITY_WEIGHT: dict[Severity, int] = {
    Severity.informational: 0,
    Severity.low: 1,
    Severity.medium: 2,
    Severity.high: 3,
    Severity.critical: 4,
}
CRITICALITY_WEIGHT: dict[Criticality, int] = {
    Criticality.low: 1,
    Criticality.medium: 2,
    Criticality.high: 3,
    Criticality.critical: 4,
}
UNKNOWN_ASSET_WEIGHT = CRITICALITY_WEIGHT[Criticality.medium]
MAX_PRIORITY = max(SEVERITY_WEIGHT.values()) * max(CRITICALITY_WEIGHT.values())
#: (lowest priority of the band, band name), highest band first.
BANDS: tuple[tuple[int, str], ...] = ((12, "urgent"), (8, "high"), (4, "medium"), (0, "low"))


def priority(severity: Severity, criticality: Criticality | None) -> int:
    weight = UNKNOWN_ASSET_WEIGHT if criticality is None else CRITICALITY_WEIGHT[criticality]
    return SEVERITY_WEIGHT[severity] * weight


def band(value: int) -> str:
    return next(name for lowest, name in BANDS if value >= lowest)


@dataclass(frozen=True, slots=True)
class AlertPriority:
    priority: int
    asset: Asset | None


def alert_priority(index: AssetIndex, alert: Alert) -> AlertPriority:
    """The priority of ``alert`` by its most critical asset."""
    assets = [c.resolved.asset for c in alert_context(index, alert) if c.resolved.asset]
    # max() keeps the first of equals: the grouping key's asset before the snapshot's.
    top = max(assets, key=lambda a: CRITICALITY_WEIGHT[a.criticality], default=None)
    return AlertPriority(priority(alert.severity, top.criticality if top else None), top)


def with_priority(index: AssetIndex, alert: Alert) -> Alert:
    """``alert`` with its priority and asset name set, as it is stored."""
    found = alert_priority(index, alert)
    return alert.model_copy(
        update={"priority": found.priority, "asset": found.asset.name if found.asset else None}
    )
