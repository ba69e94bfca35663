"""`canhgac alerts list`: the alert queue as a table, JSON Lines or CSV.

``json`` is JSON Lines (one alert object per line, as stored), ``csv`` the table's columns with
a header row; both are for scripts. The table fits a terminal and is never cut when piped
(:func:`~canhgac.cli.terminal.print_table`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from canhgac.cli.terminal import json_line, print_table, printable
from canhgac.config import Settings
from canhgac.models import Alert, AlertFilter, AlertStatus, Severity
from canhgac.registry import Registry
from canhgac.store.registry import build_store
from canhgac.text import escape_controls
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


def _json_lines(alerts: list[Alert], console: Console) -> None:
    out = console.file
    for alert in alerts:
        out.write(json_line(alert.model_dump(mode="json")) + "\n")
    out.flush()


def _csv(alerts: list[Alert], console: Console) -> None:
    writer = csv.writer(console.file, lineterminator="\n")
    writer.writerow(COLUMNS)
    # Shown on a terminal as often as read by a script: no control sequence gets through.
    writer.writerows([escape_controls(cell) for cell in _row(alert)] for alert in alerts)
    console.file.flush()


def _table(alerts: list[Alert], console: Console) -> None:
    table = Table(title=f"{len(alerts)} alerts (newest first, times Asia/Ho_Chi_Minh)")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for alert in alerts:
        # Log content is attacker-controlled: no markup, no terminal control sequences.
        table.add_row(*(printable(cell) for cell in _row(alert)))
    print_table(console, table)


#: ``--format`` names -> how the alerts are printed.
FORMATS: Registry[Callable[[list[Alert], Console], None]] = Registry(
    "format", {"table": _table, "json": _json_lines, "csv": _csv}
)


def list_alerts(
    settings: Settings,
    status: str | None,
    severity: str | None,
    limit: int,
    output: str,
    console: Console,
) -> None:
    printer = FORMATS.get(output)
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
    printer(alerts, console)
