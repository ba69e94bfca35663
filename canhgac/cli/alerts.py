"""`canhgac alerts list`: the alert queue as a table, JSON Lines or CSV
(:mod:`canhgac.cli.listing`)."""

from __future__ import annotations

from rich.console import Console

from canhgac.cli.listing import Listing, printer
from canhgac.config import Settings
from canhgac.models import Alert, AlertFilter, AlertStatus, Severity
from canhgac.store.registry import build_store
from canhgac.timeutil import for_display

COLUMNS = ("last seen", "severity", "rule", "count", "status", "host", "user", "source.ip")


def _row(alert: Alert) -> list[str]:
    snap = alert.snapshot
    return [
        for_display(alert.last_seen),
        str(alert.severity),
        alert.rule_title,
        str(alert.count),
        str(alert.status),
        *(str(snap.get(field, "")) for field in ("host.name", "user.name", "source.ip")),
    ]


ALERTS: Listing[Alert] = Listing(
    title=lambda n: f"{n} alerts (newest first, times Asia/Ho_Chi_Minh)",
    columns=COLUMNS,
    row=_row,
    document=lambda alert: alert.model_dump(mode="json"),
)


def list_alerts(
    settings: Settings,
    status: str | None,
    severity: str | None,
    limit: int,
    output: str,
    console: Console,
) -> None:
    show = printer(output)
    query = AlertFilter(
        status=AlertStatus(status) if status else None,
        severity=Severity(severity) if severity else None,
        limit=limit,
    )
    store = build_store(settings.store)
    try:
        alerts = store.list_alerts(query)
    finally:
        store.close()
    show(ALERTS, alerts, console)
