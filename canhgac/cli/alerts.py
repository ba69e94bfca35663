"""`canhgac alerts list`: the alert queue on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from canhgac.config import Settings
from canhgac.models import AlertFilter, AlertStatus, Severity
from canhgac.store.registry import build_store
from canhgac.timeutil import for_display


def list_alerts(
    settings: Settings,
    status: str | None,
    severity: str | None,
    limit: int,
    as_json: bool,
    console: Console,
) -> None:
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
    if as_json:
        for alert in alerts:
            console.print_json(alert.model_dump_json())
        return
    table = Table(title=f"{len(alerts)} alerts (newest first, times Asia/Ho_Chi_Minh)")
    for column in ("last seen", "severity", "rule", "count", "status", "host", "user", "source.ip"):
        table.add_column(column)
    for alert in alerts:
        snap = alert.snapshot
        # Log content is attacker-controlled: escape it so it cannot inject rich markup.
        table.add_row(
            for_display(alert.last_seen),
            str(alert.severity),
            escape(alert.rule_title),
            str(alert.count),
            str(alert.status),
            escape(str(snap.get("host.name", ""))),
            escape(str(snap.get("user.name", ""))),
            escape(str(snap.get("source.ip", ""))),
        )
    console.print(table)
