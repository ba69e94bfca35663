"""`canhgac deadletters list|replay` on a real SQLite store, and the dead-letter watch."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canhgac.cli import app
from canhgac.cli.dead_letter_watch import LOG_FIRST, MAX_SOURCES, DeadLetterWatch
from canhgac.metrics import Metrics
from canhgac.models import DeadLetter
from canhgac.store.sqlite.store import SQLiteStore
from ingest.parse.base import Origin
from ingest.parse.record import to_record

NGINX = '203.0.113.9 - - [27/Nov/2026:10:15:32 +0700] "GET /dich-vu-cong/ HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
runner = CliRunner()


def _config(tmp_path: Path, parser: str) -> Path:
    path = tmp_path / "canhgac.yaml"
    path.write_text(
        f"store:\n  path: {tmp_path / 'cg.db'}\n"
        f"sources:\n  - type: file\n    name: portal\n    path: {tmp_path / 'a.log'}\n"
        f"    parser: {parser}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def stored(tmp_path: Path) -> list[DeadLetter]:
    """Three lines read while the source had the wrong parser."""
    origin = Origin("portal", "file:1:x", "2026-11-27T03:15:00.000000Z", parser="rfc5424")
    lines = [NGINX, NGINX.replace("GET", "POST"), "rác \x1b[31m không phải nginx"]
    letters = [to_record(line.encode(), origin, n) for n, line in enumerate(lines)]
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        store.write_dead_letters([d for d in letters if isinstance(d, DeadLetter)])
    finally:
        store.close()
    return [d for d in letters if isinstance(d, DeadLetter)]


def test_list_replay_list(tmp_path: Path, stored: list[DeadLetter]) -> None:
    wrong = _config(tmp_path, "rfc5424")
    listed = runner.invoke(app, ["deadletters", "list", "-c", str(wrong), "--json"])
    assert listed.exit_code == 0, listed.output
    documents = [json.loads(line) for line in listed.output.splitlines()]
    assert [d["id"] for d in documents] == [d.id for d in stored]
    assert {d["reason_class"] for d in documents} == {"parse"}
    assert documents[2]["raw"] == "rác \x1b[31m không phải nginx"

    table = runner.invoke(app, ["deadletters", "list", "-c", str(wrong), "--source", "portal"])
    assert table.exit_code == 0 and "3 dead letters" in table.output
    assert "\x1b[31m" not in table.output  # the escape sequence is shown, not obeyed

    right = _config(tmp_path, "nginx")
    replayed = runner.invoke(app, ["deadletters", "replay", "-c", str(right)])
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.splitlines() == [
        "replayed: 2 parsed into events (2 new), 1 failed again (kept with the new reason)"
    ]
    listed = runner.invoke(app, ["deadletters", "list", "-c", str(right), "--json"])
    [left] = [json.loads(line) for line in listed.output.splitlines()]
    assert left["id"] == stored[2].id
    assert left["reason"].startswith("not an nginx access log line")
    store = SQLiteStore(tmp_path / "cg.db")
    try:
        assert [e.id for e in store.get_events([d.id for d in stored])] == [
            stored[0].id,
            stored[1].id,
        ]
    finally:
        store.close()


def test_filters_and_bad_arguments(tmp_path: Path, stored: list[DeadLetter]) -> None:
    config = _config(tmp_path, "rfc5424")
    since = runner.invoke(
        app, ["deadletters", "list", "-c", str(config), "--json", "--since", "2026-11-27T10:16"]
    )
    assert since.exit_code == 0 and since.output == ""  # all received 10:15 Hanoi time
    recent = runner.invoke(app, ["deadletters", "list", "-c", str(config), "--since", "1h"])
    assert recent.exit_code == 0 and "0 dead letters" in recent.output
    bad = runner.invoke(app, ["deadletters", "list", "-c", str(config), "--reason", "parsing"])
    assert bad.exit_code == 2 and "one of binary, too_long" in bad.output
    # Replay with a parser name that does not exist is refused before touching anything.
    broken = _config(tmp_path, "nginxx")
    refused = runner.invoke(app, ["deadletters", "replay", "-c", str(broken)])
    assert refused.exit_code != 0
    assert "unknown parser 'nginxx'" in str(refused.exception)


def _letter(number: int, source: str, reason: str) -> DeadLetter:
    return DeadLetter(f"id-{number}", source, reason, b"x", "2026-11-27T03:15:00.000000Z")


def test_the_watch_counts_by_class_and_rate_limits_its_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    metrics = Metrics()
    watch = DeadLetterWatch(metrics, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="canhgac.dead_letters"):
        watch.seen([_letter(n, "udp", f"not a syslog record: {n}") for n in range(LOG_FIRST + 3)])
        watch.seen([_letter(99, "udp", "binary data: not a text log record")])
        now[0] = 61.0
        watch.seen([_letter(100, "udp", "not a syslog record: later")])

    def total(source: str, reason: str) -> float | None:
        labels = {"source": source, "reason": reason}
        return metrics.registry.get_sample_value("canhgac_dead_letters_total", labels)

    assert total("udp", "parse") == LOG_FIRST + 4
    assert total("udp", "binary") == 1
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == LOG_FIRST + 1 + 2
    assert messages[-2] == "3 more dead letters from 'udp' (parse) in the minute before"
    assert messages[-1].startswith("dead letter id-100 from 'udp' (parse): 'not a syslog")
    # Source names from the data cannot grow the label set without bound.
    watch.seen([_letter(n, f"dataset-{n}", "x") for n in range(MAX_SOURCES + 10)])
    assert total("other", "parse") == 11
