"""`canhgac alerts list`: the alert queue on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from canhgac.cli.terminal import json_line, printable
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
            console.out(json_line(alert.model_dump(mode="json")), highlight=False)
        return
    table = Table(title=f"{len(alerts)} alerts (newest first, times Asia/Ho_Chi_Minh)")
    for column in ("last seen", "severity", "rule", "count", "status", "host", "user", "source.ip"):
        table.add_column(column)
    for alert in alerts:
        snap = alert.snapshot
        # Log content is attacker-controlled: no markup, no terminal control sequences.
        table.add_row(
            for_display(alert.last_seen),
            str(alert.severity),
            printable(alert.rule_title),
            str(alert.count),
            str(alert.status),
            *(printable(snap.get(field, "")) for field in ("host.name", "user.name", "source.ip")),
        )
    console.print(table)
