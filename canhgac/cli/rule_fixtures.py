"""A rule fixture's shared pieces: the outcome of one rule's fixture, and turning one fixture
case (a log line with its parser, the lines of one audit event, or ready-made fields) into
the event the store gets.

Plain rules' fixtures (:mod:`canhgac.cli.rules`) and correlation scenarios
(:mod:`canhgac.cli.rules_scenarios`) both build on these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerting.detect.compile.rules import CompiledRule
from canhgac.models import DeadLetter, Event, event_id
from canhgac.timeutil import now_iso
from ingest.parse.auditd_join import join_records
from ingest.parse.base import Origin
from ingest.parse.record import to_record


@dataclass
class FixtureResult:
    rule: CompiledRule
    failures: list[str] = field(default_factory=list)
    cases: int = 0
    # Every stored fixture event the rule's query matched (any rule's), to compare stores.
    matched: set[str] = field(default_factory=set)
    # Fixture event id -> (must fire, how to name it in a failure).
    expected: dict[str, tuple[bool, str]] = field(default_factory=dict)


def fixture_event(rule_id: str, position: str, case: dict[str, Any]) -> Event | DeadLetter:
    identity = f"fixture:{rule_id}"
    if "fields" in case:
        fields = {"@timestamp": now_iso(), "event.original": "", **case["fields"]}
        return Event(event_id(identity, position), fields)
    origin = Origin(
        source="rules-test", identity=identity, received_at=now_iso(), parser=case["parser"]
    )
    if "lines" in case:
        return _one_audit_event(case["lines"], origin, position)
    return to_record(str(case["line"]).encode("utf-8"), origin, position)


def _one_audit_event(lines: list[str], origin: Origin, position: str) -> Event | DeadLetter:
    """``lines``: the records of one audit event (SYSCALL, EXECVE, PATH...), joined as the
    collector joins them."""
    events: list[Event] = []
    for index, line in enumerate(lines):
        record = to_record(str(line).encode("utf-8"), origin, f"{position}:{index}")
        if isinstance(record, DeadLetter):
            return record
        events.append(record)
    return join_records(events)
