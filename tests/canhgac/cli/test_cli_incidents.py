"""`canhgac incidents`: listing as a table, JSON Lines or CSV with filters, showing one, and
working it (assign, status, close with a reason, reopen, comment) through the same audited
actions as the web UI and API. Hostile titles never reach the terminal raw."""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import Passwords
from alerting.triage.incident_actions import IncidentActions
from canhgac.cli import app
from canhgac.models import Severity
from canhgac.store.incidents import Incident, IncidentStatus
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.sqlite.triage import SQLiteTriageStore
from canhgac.store.triage import CloseReason, Role

#: An OSC title change, a screen clear, an 8-bit CSI and a right-to-left override.
HOSTILE = "Dò mật khẩu \x1b]0;pwned\x07 \x1b[2J\x9b31m gpj\u202eexe"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
ME = f"cli:{getpass.getuser()}"


@dataclass
class Desk:
    config: Path
    db: Path
    ids: dict[str, str]

    def incident(self, name: str) -> Incident:
        store = SQLiteStore(self.db)
        try:
            found = store.incidents().get_incident(self.ids[name])
        finally:
            store.close()
        assert found is not None
        return found

    def audit(self) -> list[tuple[str, str, str]]:
        triage = SQLiteTriageStore(self.db)
        try:
            entries = triage.list_audit(limit=100)
        finally:
            triage.close()
        return [(e.actor, e.action, e.target) for e in entries if e.target.startswith("incident:")]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    db = tmp_path / "store.db"
    store = SQLiteStore(db)
    triage = SQLiteTriageStore(db)
    try:
        accounts = Accounts(triage, Passwords(PasswordHasher(time_cost=1, memory_cost=1024)))
        for name in ("an", "binh"):
            accounts.create_user(name, "mật khẩu đủ dài 2026", Role.analyst)
        accounts.create_user("old-an", "mật khẩu đủ dài 2026", Role.analyst)
        accounts.update_user("admin", "old-an", disabled=True)
        actions = IncidentActions(store.incidents(), store, triage)
        ids = {
            "hostile": actions.create("an", HOSTILE, severity=Severity.critical).id,
            "web": actions.create("an", "Quét thư mục web", severity=Severity.medium).id,
            "old": actions.create("an", "Sự cố cũ", severity=Severity.low).id,
        }
        actions.assign("an", ids["web"], "binh")
        actions.close("an", ids["old"], CloseReason.benign)
    finally:
        triage.close()
        store.close()
    config = tmp_path / "canhgac.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'var'}\nstore:\n  type: sqlite\n  path: {db}\n", encoding="utf-8"
    )
    yield Desk(config, db, ids)


def run(desk: Desk, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(
        app, ["incidents", *args, "--config", str(desk.config)], input=stdin, env={"COLUMNS": "300"}
    )


def said(result: Any) -> str:
    """What the user reads: the output, and a refusal's message (``main`` prints it)."""
    return result.output + (str(result.exception) if result.exception else "")


def test_list_as_json_lines_with_filters(desk: Desk) -> None:
    every = run(desk, "list", "--json")
    assert every.exit_code == 0, every.output
    documents = [json.loads(line) for line in every.output.splitlines()]
    assert {d["id"] for d in documents} == set(desk.ids.values())
    hostile = next(d for d in documents if d["id"] == desk.ids["hostile"])
    assert hostile["title"] == HOSTILE  # the value unchanged, only its spelling escaped
    assert not any(raw in every.output for raw in RAW)
    filters = {
        ("--active",): {"hostile", "web"},
        ("--status", "closed"): {"old"},
        ("--severity", "critical"): {"hostile"},
        ("--owner", "binh"): {"web"},
        ("--status", "investigating", "--severity", "medium"): {"web"},
        ("--status", "contained"): set(),
    }
    names = {value: key for key, value in desk.ids.items()}
    for flags, expected in filters.items():
        result = run(desk, "list", *flags, "--format", "json")
        assert result.exit_code == 0, result.output
        assert {names[json.loads(line)["id"]] for line in result.output.splitlines()} == expected


def test_list_as_a_table_and_csv_shows_escapes(desk: Desk) -> None:
    table = run(desk, "list")
    assert table.exit_code == 0, table.output
    assert not any(raw in table.output for raw in RAW), repr(table.output)
    assert "\\x1b]0;pwned\\x07" in table.output and "Quét thư mục web" in table.output
    assert "3 incidents" in table.output
    result = run(desk, "list", "--format", "csv", "--sort", "severity")
    assert result.exit_code == 0, result.output
    assert not any(raw in result.output for raw in RAW)
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["id", "updated", "severity", "status", "owner", "alerts", "title"]
    assert [row[0] for row in rows[1:]] == [desk.ids[n] for n in ("hostile", "web", "old")]
    assert rows[2][2:5] == ["medium", "investigating", "binh"]


def test_a_bad_format_or_filter_is_a_usage_error(desk: Desk) -> None:
    assert run(desk, "list", "--format", "xml").exit_code == 2
    assert run(desk, "list", "--status", "solved").exit_code == 2
    assert run(desk, "list", "--sort", "random").exit_code == 2


def test_show_prints_the_incident_with_escapes_or_as_json(desk: Desk) -> None:
    shown = run(desk, "show", desk.ids["web"])
    assert shown.exit_code == 0, shown.output
    assert "status investigating · severity medium · owner binh" in shown.output
    assert "incident.assign owner=binh" in shown.output
    hostile = run(desk, "show", desk.ids["hostile"])
    assert not any(raw in hostile.output for raw in RAW), repr(hostile.output)
    assert "\\x1b[2J\\x9b31m" in hostile.output
    document = json.loads(run(desk, "show", desk.ids["hostile"], "--json").output)
    assert document["title"] == HOSTILE
    missing = run(desk, "show", "inc-nope")
    assert missing.exit_code == 1 and "no incident 'inc-nope'" in said(missing)


def test_assign_status_comment_close_and_reopen_are_audited(desk: Desk) -> None:
    iid = desk.ids["hostile"]
    assigned = run(desk, "assign", iid, "binh")
    assert assigned.exit_code == 0, assigned.output
    assert desk.incident("hostile").owner == "binh"
    assert desk.incident("hostile").status is IncidentStatus.investigating
    assert run(desk, "status", iid, "contained").exit_code == 0
    assert desk.incident("hostile").status is IncidentStatus.contained
    commented = run(desk, "comment", iid, "-", stdin="Đã chặn địa chỉ 203.0.113.9 tại tường lửa.\n")
    assert commented.exit_code == 0, commented.output
    assert (
        desk.incident("hostile").comments[-1].text == "Đã chặn địa chỉ 203.0.113.9 tại tường lửa."
    )
    assert desk.incident("hostile").comments[-1].author == ME
    closed = run(desk, "close", iid, "--reason", "true_positive", "--comment", "Xong.")
    assert closed.exit_code == 0, closed.output
    incident = desk.incident("hostile")
    assert incident.status is IncidentStatus.closed
    assert incident.close_reason is CloseReason.true_positive
    assert incident.comments[-1].text == "Xong."
    assert run(desk, "reopen", iid, "--actor", "an").exit_code == 0
    assert desk.incident("hostile").status is IncidentStatus.investigating
    target = f"incident:{iid}"
    assert [(a, action) for a, action, t in desk.audit() if t == target] == [
        ("an", "incident.reopen"),
        (ME, "incident.close"),
        (ME, "incident.comment"),
        (ME, "incident.status"),
        (ME, "incident.assign"),
        ("an", "incident.create"),
    ]


def test_refusals_are_one_line_and_change_nothing(desk: Desk) -> None:
    iid = desk.ids["web"]
    before = desk.incident("web")
    cases = [
        (("status", iid, "closed"), 1, "closing needs a reason"),
        (("status", iid, "solved"), 2, "not an incident status"),
        (("assign", iid, "old-an"), 1, "no active user 'old-an'"),
        (
            ("assign", iid, "an", "--actor", "old-an"),
            1,
            "--actor 'old-an' is no active web account",
        ),
        (("close", iid, "--reason", "maybe"), 2, "maybe"),
        (("reopen", iid), 1, "incident is not closed"),
        (("comment", iid, "   "), 1, ""),
        (("assign", "inc-nope", "an"), 1, "no incident 'inc-nope'"),
    ]
    for args, code, message in cases:
        result = run(desk, *args)
        assert result.exit_code == code, (args, result.output)
        assert message in said(result), (args, said(result))
    assert desk.incident("web") == before
