"""`canhgac alerts list` shows log content literally: no terminal control sequence gets through,
in the table or in ``--json``, and Vietnamese text stays as it is."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from canhgac.cli import app
from canhgac.cli.alerts import list_alerts
from canhgac.cli.options import settings_from
from canhgac.models import Alert, Severity
from canhgac.store.sqlite.store import SQLiteStore

runner = CliRunner()
STAMP = "2026-11-27T03:15:00.000000Z"
# An OSC title change, a screen clear, an 8-bit CSI, a bell, a right-to-left override and a
# forged second line: all attacker-controlled snapshot values from log lines.
HOSTILE = {
    "host.name": "web-01\x1b]0;pwned\x07",
    "user.name": "nguyễn\x1b[2J\x9b31m",
    "source.ip": "203.0.113.9\u202egpj.exe\nFAKE ALERT",
}
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "FAKE ALERT\n")


def _config(tmp_path: Path) -> Path:
    db = tmp_path / "cg.db"
    store = SQLiteStore(db)
    try:
        alert = Alert(
            id="a1",
            rule_id="r1",
            rule_title="SSH \x1b[31mbrute\x1b[0m force",
            severity=Severity.high,
            first_seen=STAMP,
            last_seen=STAMP,
            event_ids=[],
            snapshot=HOSTILE,
            created_at=STAMP,
            updated_at=STAMP,
        )
        store.record_alert(alert, [])
    finally:
        store.close()
    path = tmp_path / "canhgac.yaml"
    path.write_text(f"store:\n  path: {db}\n", encoding="utf-8")
    return path


def test_the_table_shows_escapes_instead_of_obeying_them(tmp_path: Path) -> None:
    config = _config(tmp_path)
    listed = runner.invoke(app, ["alerts", "list", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    assert not any(raw in listed.output for raw in RAW), repr(listed.output)
    # Wide enough that no cell wraps, to read the escapes whole.
    wide = Console(file=io.StringIO(), width=400, color_system=None)
    list_alerts(settings_from(config), None, None, 50, "table", wide)
    shown = wide.file.getvalue()  # type: ignore[attr-defined]
    for text in ("web-01\\x1b]0;pwned\\x07", "nguyễn\\x1b[2J\\x9b31m", "SSH \\x1b[31mbrute"):
        assert text in shown, shown
    assert "203.0.113.9\\u202egpj.exe\\nFAKE ALERT" in shown, shown


def test_json_lines_keep_the_values_and_no_raw_controls(tmp_path: Path) -> None:
    args = ["alerts", "list", "--json", "--config", str(_config(tmp_path))]
    listed = runner.invoke(app, args)
    assert listed.exit_code == 0, listed.output
    assert not any(raw in listed.output for raw in RAW[:-1]), repr(listed.output)
    [line] = listed.output.splitlines()
    document = json.loads(line)
    assert document["snapshot"] == HOSTILE  # the value is unchanged, only its spelling
    assert document["rule_title"] == "SSH \x1b[31mbrute\x1b[0m force"


def test_csv_cells_show_escapes_instead_of_obeying_them(tmp_path: Path) -> None:
    args = ["alerts", "list", "--format", "csv", "--config", str(_config(tmp_path))]
    listed = runner.invoke(app, args)
    assert listed.exit_code == 0, listed.output
    # The row's own line end follows its last cell; a forged one would stand alone.
    assert not any(raw in listed.output for raw in RAW[:-1]), repr(listed.output)
    assert len(listed.output.splitlines()) == 2
    assert "web-01\\x1b]0;pwned\\x07" in listed.output
