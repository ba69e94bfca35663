"""Fixtures of correlation rules: scenarios, each a list of timed events, fire or not.

A correlation's fixture file has the same shape as any rule's, but each entry of ``must_fire``
and ``must_not_fire`` is a *scenario*: a list of cases (``parser``+``line`` or ``fields``), each
optionally repeated::

    must_fire:
      - - parser: auth
          line: "Nov 27 10:00:00 web01 sshd[1]: Failed password for user{i} from 203.0.113.5 ..."
          repeat: 12        # this case 12 times,
          every: 20s        # each 20 s after the one before (added to the line's timestamp),
                            # with {i} in the line replaced by 0, 1, 2, ...

Every scenario is moved, whole, to a stretch of time of its own far from the others, so all
fixtures share one store (and one write, like the other rules' fixtures) without ever sharing
a correlation window. The correlation then runs once over everything stored through
:meth:`CorrelationQuery.evaluate_window`, the very code the scheduler runs; each alert it
drafts belongs to the scenario its events come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from alerting.detect.correlation.reads import fetch_events
from alerting.detect.correlation.run import CorrelationQuery
from alerting.detect.run.window_round import WindowEvaluator
from canhgac.cli.rule_fixtures import FixtureResult, fixture_event
from canhgac.config import Duration
from canhgac.models import DeadLetter, Event
from canhgac.store.base import Store
from canhgac.timeutil import from_iso, now_iso, to_iso

# Scenarios are laid out one after another from here, SCENARIO_SPACING (or four times the
# rule's look-back) apart.
SCENARIO_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
SCENARIO_SPACING = timedelta(days=30)
# Ingested before every fixture event / after all of them.
INGESTED_FROM = "2000-01-01T00:00:00.000000Z"
INGESTED_TO = "2200-01-01T00:00:00.000000Z"
MAX_REPEAT = 10_000
_DURATION: TypeAdapter[timedelta] = TypeAdapter(Duration)


@dataclass(frozen=True, slots=True)
class Scenario:
    must_fire: bool
    label: str
    event_ids: frozenset[str]


@dataclass
class ScenarioResult(FixtureResult):
    scenarios: list[Scenario] = field(default_factory=list)


def is_correlation(rule: Any) -> bool:
    return isinstance(rule.query, WindowEvaluator)


@dataclass
class ScenarioPlacer:
    """Gives each scenario of a run (every rule's) its own stretch of time."""

    cursor: datetime = SCENARIO_EPOCH

    def place(self, events: list[Event], spacing: timedelta) -> list[Event]:
        """Move the scenario's events to start at the cursor, keeping their spacing."""
        start = min(from_iso(e.timestamp) for e in events)
        offset = self.cursor - start
        for event in events:
            event.fields["@timestamp"] = to_iso(from_iso(event.timestamp) + offset)
        self.cursor = max(from_iso(e.timestamp) for e in events) + spacing
        return events


def load_scenarios(
    rule: Any, fixture: Path, events: list[Event], placer: ScenarioPlacer
) -> ScenarioResult:
    """Parse the scenarios of ``fixture`` into ``events`` (ids unique to rule and case)."""
    spec: dict[str, Any] = yaml.safe_load(fixture.read_text(encoding="utf-8")) or {}
    result = ScenarioResult(rule)
    spacing = rule_spacing(rule)
    for expect, key in ((True, "must_fire"), (False, "must_not_fire")):
        for index, scenario in enumerate(spec.get(key) or []):
            label = f"{key}[{index}]"
            cases = scenario if isinstance(scenario, list) else [scenario]
            parsed: list[Event] = []
            for number, case in enumerate(cases):
                parsed.extend(_case_events(rule.id, f"{label}:{number}", case, result))
            if not parsed:
                result.failures.append(f"{label}: the scenario has no event")
                continue
            shifted = placer.place(parsed, spacing)
            events.extend(shifted)
            first = cases[0].get("line") or cases[0].get("fields") if cases else ""
            described = f"{label} ({len(shifted)} events, first: {first})"
            result.scenarios.append(Scenario(expect, described, frozenset(e.id for e in shifted)))
            result.expected.update((e.id, (expect, described)) for e in shifted)
    result.cases = len(result.scenarios)
    return result


def check_scenarios(result: ScenarioResult, store: Store) -> None:
    """Run the correlation over everything stored; compare each scenario's outcome."""
    query = result.rule.query
    assert isinstance(query, CorrelationQuery)
    _, drafts = query.evaluate_window(
        store, INGESTED_FROM, INGESTED_TO, page_size=1000, now=now_iso()
    )
    alerted = [set(draft.event_ids) for draft in drafts]
    result.matched = set().union(*alerted) if alerted else set()
    for scenario in result.scenarios:
        fired = any(ids & scenario.event_ids for ids in alerted)
        if fired == scenario.must_fire:
            continue
        verb = "did not fire" if scenario.must_fire else "fired"
        result.failures.append(f"{scenario.label} {verb}; {_base_matches(query, store, scenario)}")


def rule_spacing(rule: Any) -> timedelta:
    query = rule.query
    lookback = query.root.lookback if isinstance(query, CorrelationQuery) else timedelta(0)
    return max(SCENARIO_SPACING, 4 * lookback)


def _base_matches(query: CorrelationQuery, store: Store, scenario: Scenario) -> str:
    """Which part did not behave: how many of the scenario's events each base rule matched."""
    parts = []
    for base in query.root.base_inputs().values():
        found = {e.id for e in fetch_events(store, base.query, INGESTED_FROM, INGESTED_TO, 1000)}
        parts.append(f"base rule {base.rule_id} matched {len(found & scenario.event_ids)}")
    return ", ".join(parts) + f" of its {len(scenario.event_ids)} events"


def _case_events(rule_id: str, position: str, case: Any, result: FixtureResult) -> list[Event]:
    if not isinstance(case, dict):
        result.failures.append(f"{position}: a case is a mapping (parser+line or fields)")
        return []
    repeat = case.get("repeat", 1)
    try:
        every = _DURATION.validate_python(case.get("every", "0s"))
    except ValidationError:
        result.failures.append(f"{position}: every: expected a duration such as 10s")
        return []
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        result.failures.append(f"{position}: repeat must be a number from 1 to {MAX_REPEAT}")
        return []
    base = {k: v for k, v in case.items() if k not in ("repeat", "every")}
    events = []
    for index in range(repeat):
        one = dict(base)
        if "line" in one:
            one["line"] = str(one["line"]).replace("{i}", str(index))
        record = fixture_event(rule_id, f"scenario:{position}:{index}", one)
        if isinstance(record, DeadLetter):
            result.failures.append(f"{position}: {one.get('line')} did not parse: {record.reason}")
            continue
        record.fields["@timestamp"] = to_iso(from_iso(record.timestamp) + index * every)
        events.append(record)
    return events
