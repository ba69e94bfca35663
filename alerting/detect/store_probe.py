"""Ask the store itself whether it accepts each compiled query, before a rule is scheduled.

A query can compile and still be refused by the store when it runs: Elasticsearch rejects a
regexp whose automaton needs more than 10000 determinization states, a bool query with too
many clauses, a regex the node's engine cannot parse; SQLite rejects SQL it cannot prepare.
Such a rule would be scheduled and fail on every cycle. So ``rules import``, ``rules check``
and the detector run every query once (one event at most) and refuse the rules the store
rejects, with the store's own reason. A correlation is refused when a query of one of its base
rules is.

The window searched depends on the store (:data:`PROBE_WINDOWS`): SQLite prepares the whole
statement whatever the window, so one second at ``now`` reads nothing; Elasticsearch skips
every shard whose ``event.ingested`` range misses the window *before* it builds the query, so
a tiny window proves nothing there and the probe searches everything up to ``now`` (a regexp
runs on the term dictionary, and one hit ends the search early). An Elasticsearch store with
no event index yet cannot be probed: nothing is refused then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet
from alerting.detect.correlation.run import CorrelationNode, CorrelationQuery
from canhgac.errors import RuleError, StoreError
from canhgac.registry import Registry
from canhgac.store.base import EventReader, EventSearch, Store
from canhgac.timeutil import to_iso

log = logging.getLogger(__name__)

#: The tiny window of a store that checks a query whatever the window.
PROBE_SPAN = timedelta(seconds=1)


def _tiny_window(now: datetime) -> tuple[str, str]:
    return to_iso(now - PROBE_SPAN), to_iso(now)


def _everything_until(now: datetime) -> tuple[str, str]:
    return "", to_iso(now)


#: Query language -> the window its store must search to check a query (see above).
PROBE_WINDOWS: Registry[Callable[[datetime], tuple[str, str]]] = Registry(
    "query language", {"sqlite": _tiny_window, "elasticsearch": _everything_until}
)
#: Searches per batched request (Elasticsearch answers a batch with one _msearch).
PROBE_BATCH = 200
REFUSAL = "the store refuses this rule's query"


@dataclass(slots=True)
class ProbeResult:
    """Rule id -> the store's reason, for every rule it refused; ``unavailable`` when the
    store as a whole failed (then nothing is refused: a down store says nothing of a query)."""

    refused: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None


def probe_rules(rules: Sequence[CompiledRule], store: EventReader, now: datetime) -> ProbeResult:
    """Search every query of ``rules`` once (:data:`PROBE_WINDOWS`), one event at most."""
    queries: dict[str, object] = {}
    wanted: dict[str, list[str]] = {}
    for rule in rules:
        keys = wanted.setdefault(rule.id, [])
        for query in _queries_of(rule):
            key = repr(query)
            queries.setdefault(key, query)
            keys.append(key)
    start, end = PROBE_WINDOWS.get(store.query_language)(now)
    reasons: dict[str, str] = {}
    keys = list(queries)
    result = ProbeResult()
    for offset in range(0, len(keys), PROBE_BATCH):
        chunk = keys[offset : offset + PROBE_BATCH]
        searches = [EventSearch(queries[key], start, end, limit=1) for key in chunk]
        try:
            answers = store.search_events_batch(searches)
        except StoreError as exc:
            result.unavailable = f"{type(exc).__name__}: {exc}"
            return result
        for key, answer in zip(chunk, answers, strict=True):
            if isinstance(answer, StoreError):
                reasons[key] = _one_line(str(answer))
    for rule_id, rule_keys in wanted.items():
        found = next((reasons[key] for key in rule_keys if key in reasons), None)
        if found is not None:
            result.refused[rule_id] = found
    return result


def refuse_rejected(
    compiled: CompiledRuleSet, store: EventReader, now: datetime, suffix: str = ""
) -> ProbeResult:
    """Move every rule (scheduled or correlation input) whose query ``store`` rejects from
    ``compiled`` to its errors, ``path:line: <REFUSAL>: <reason><suffix>``."""
    everything = [*compiled.rules, *compiled.correlation_inputs]
    result = probe_rules(everything, store, now)
    if result.unavailable is not None:
        log.warning("could not ask the store about the rules' queries: %s", result.unavailable)
    if not result.refused:
        return result
    for rule in everything:
        if rule.id in result.refused:
            message = f"{REFUSAL}: {result.refused[rule.id]}{suffix}"
            compiled.errors.append(RuleError(message, str(rule.source.path), _line(rule)))
    compiled.rules = [r for r in compiled.rules if r.id not in result.refused]
    compiled.correlation_inputs = [
        r for r in compiled.correlation_inputs if r.id not in result.refused
    ]
    return result


def _queries_of(rule: CompiledRule) -> Iterator[object]:
    if isinstance(rule.query, CorrelationQuery):
        yield from _node_queries(rule.query.root)
    else:
        yield rule.query


def _node_queries(node: CorrelationNode) -> Iterator[object]:
    for source in node.inputs:
        if isinstance(source, CorrelationNode):
            yield from _node_queries(source)
        else:
            yield source.query


def _line(rule: CompiledRule) -> int:
    key = "correlation" if isinstance(rule.query, CorrelationQuery) else "detection"
    return rule.source.line_of(key)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:1000]


def probed(compiled: CompiledRuleSet, store: Store, now: datetime) -> CompiledRuleSet:
    """``compiled`` without the rules ``store`` rejects, for the scheduler: each refusal is
    logged, and kept as the ``last_error`` of a rule that already has a state (its watermark
    unchanged), so ops sees why a rule that ran before no longer runs."""
    result = refuse_rejected(compiled, store, now)
    for rule_id, reason in result.refused.items():
        log.error("rule %s is not scheduled: %s: %s", rule_id, REFUSAL, reason)
    if not result.refused:
        return compiled
    try:
        states = store.get_rule_states(list(result.refused))
        store.save_rule_states(
            [
                state.model_copy(
                    update={"last_error": f"{REFUSAL}: {result.refused[rule_id]}"[:2000]}
                )
                for rule_id, state in states.items()
            ]
        )
    except StoreError as exc:
        log.warning("could not store why %d rules are refused: %s", len(result.refused), exc)
    return compiled
