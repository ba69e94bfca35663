"""Compile correlation rules: resolve what they reference and decide which rules alert.

Runs after the detection rules are compiled for the store, so a correlation reads each base
rule through that rule's own compiled query (filters and exceptions included). A correlation
is refused, as a ``path:line`` rule error, whenever its meaning could not be kept:

* it references a rule that does not exist, did not compile, or references it back (a cycle);
* an alias has no field for one of its rules, or a field maps to several event fields;
* it groups or measures a field a referenced correlation does not carry (a correlation's
  output holds its own ``group-by`` values only);
* an extended temporal condition uses ``not`` (absence within a sliding window is not decided
  by the time the window ends) or is combined with ``temporal_ordered``;
* its look-back (the timespans down its chain) is longer than ``detection.max_lookback``.

``generate``: as in pySigma, a rule referenced by a correlation that does not set
``generate: true`` raises no alerts of its own; it is kept in
:attr:`CompiledRuleSet.correlation_inputs` (its fixtures still run).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule, SigmaExtendedCorrelationCondition
from sigma.exceptions import SigmaError, SigmaRuleNotFoundError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from alerting.detect.compile.rules import (
    QUERY_COMPILERS,
    CompiledRule,
    CompiledRuleSet,
    alert_rule_for,
)
from alerting.detect.correlation.eval import CorrelationSpec
from alerting.detect.correlation.fields import FieldMapper, FieldProblem, aliased
from alerting.detect.correlation.metrics import MetricSpec, negations
from alerting.detect.correlation.run import BaseInput, CorrelationNode, CorrelationQuery
from alerting.detect.load.correlations import LoadedCorrelation
from alerting.detect.load.filters import FilteredRules, with_filter
from alerting.detect.load.ruleset import LoadedRule
from canhgac.errors import RuleError

# The correlation types whose condition measures a field.
FIELD_TYPES = {"value_count", "value_sum", "value_avg", "value_percentile", "value_median"}


class _Refused(Exception):
    def __init__(self, error: RuleError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class _Planner:
    filtered: FilteredRules
    compiled: CompiledRuleSet
    pipeline: ProcessingPipeline
    language: str
    mapper: FieldMapper
    detections: dict[str, LoadedRule] = field(default_factory=dict)
    correlations: dict[str, LoadedCorrelation] = field(default_factory=dict)
    collection: SigmaCollection = field(default_factory=lambda: SigmaCollection([]))
    queries: dict[str, CompiledRule] = field(default_factory=dict)
    nodes: dict[str, CorrelationNode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ruleset = self.filtered.ruleset
        self.detections = {rule.id: rule for rule in ruleset.rules}
        self.correlations = {c.id: c for c in ruleset.correlations}
        # References (a rule id or name) are looked up in a pySigma collection, as its own
        # backends do; not *resolved* in pySigma's sense, which would also disable the
        # output of referenced rules (their queries would compile to nothing): generate is
        # applied by compile_correlations instead.
        rules: list[SigmaRule | SigmaCorrelationRule] = [r.rule for r in ruleset.rules]
        self.collection = SigmaCollection(
            [*rules, *(c.rule for c in ruleset.correlations)], resolve_references=False
        )
        self.queries = {r.id: r for r in [*self.compiled.rules, *self.compiled.correlation_inputs]}

    def resolve(self, reference: str) -> str | None:
        """The id of the rule ``reference`` names, None if there is none."""
        try:
            return str(self.collection[reference].id)
        except SigmaRuleNotFoundError:
            return None

    def node(self, correlation: LoadedCorrelation, stack: tuple[str, ...] = ()) -> CorrelationNode:
        if correlation.id in self.nodes:
            return self.nodes[correlation.id]
        extended = correlation.extended
        if extended is not None and (
            negations(extended.parsed) or correlation.kind == "temporal_ordered"
        ):
            raise _Refused(
                correlation.error(
                    "extended temporal conditions with 'not', or with temporal_ordered, "
                    "cannot be decided when a sliding window ends; refused",
                    "correlation",
                    "condition",
                )
            )
        inputs: list[BaseInput | CorrelationNode] = []
        slot_fields: list[tuple[str, ...]] = []
        value_fields: list[str | None] = []
        references = _references(correlation)
        for index, reference in enumerate(references):
            where = ("correlation", "rules", index)
            target_id = self.resolve(reference)
            if target_id is None:
                raise _Refused(correlation.error(f"references unknown rule '{reference}'", *where))
            source = self._input(correlation, target_id, reference, where, (*stack, correlation.id))
            inputs.append(source)
            try:
                slot_fields.append(
                    tuple(
                        self._field(correlation, name, reference, target_id, source)
                        for name in _group_by(correlation)
                    )
                )
                value = correlation.value_field if correlation.kind in FIELD_TYPES else None
                value_fields.append(
                    self._field(correlation, value, reference, target_id, source) if value else None
                )
            except FieldProblem as exc:
                raise _Refused(correlation.error(str(exc), "correlation")) from None
        spec = CorrelationSpec(
            rule_id=correlation.id,
            kind=correlation.kind,
            span=timedelta(seconds=correlation.rule.timespan.seconds),
            group_by=_group_by(correlation),
            slot_fields=tuple(slot_fields),
            slot_value_fields=tuple(value_fields),
            bounds=correlation.bounds,
            metric=MetricSpec(
                slots=len(references),
                slot_names={reference: index for index, reference in enumerate(references)},
                percentile=correlation.percentile,
                expression=extended.parsed if extended is not None else None,
            ),
        )
        node = CorrelationNode(spec, tuple(inputs))
        self.nodes[correlation.id] = node
        return node

    def _input(
        self,
        correlation: LoadedCorrelation,
        target_id: str,
        reference: str,
        where: tuple[str | int, ...],
        stack: tuple[str, ...],
    ) -> BaseInput | CorrelationNode:
        if target_id in stack:
            raise _Refused(correlation.error(f"references '{reference}': a cycle", *where))
        if target_id in self.correlations:
            try:
                return self.node(self.correlations[target_id], stack)
            except _Refused:
                raise _Refused(
                    correlation.error(
                        f"references correlation '{reference}', which was refused (see its error)",
                        *where,
                    )
                ) from None
        compiled = self.queries.get(target_id)
        if compiled is None:
            raise _Refused(
                correlation.error(
                    f"references rule '{reference}', which was refused (see its error)", *where
                )
            )
        extra = self.filtered.correlation_filters.get(correlation.id, [])
        if not extra:
            return BaseInput(target_id, compiled.query)
        rule = self.detections[target_id].rule
        for body in extra:
            rule = with_filter(rule, body, f"exception of {correlation.id}")
        try:
            query = QUERY_COMPILERS[self.language](copy.deepcopy(rule), self.pipeline).query
        except SigmaError as exc:
            raise _Refused(
                correlation.error(f"exception cannot be added to '{reference}': {exc}", *where)
            ) from None
        return BaseInput(target_id, query)

    def _field(
        self,
        correlation: LoadedCorrelation,
        name: str,
        reference: str,
        target_id: str,
        source: BaseInput | CorrelationNode,
    ) -> str:
        target = self.detections.get(target_id) or self.correlations[target_id]
        known = {reference, target_id, *([str(target.rule.name)] if target.rule.name else [])}
        written = aliased(correlation.rule, name, known)
        if isinstance(source, CorrelationNode):
            if written not in source.spec.group_by:
                raise FieldProblem(
                    f"field '{written}' is not in the group-by of referenced correlation "
                    f"'{reference}' (its output carries only its group-by values)"
                )
            return written
        return self.mapper.event_field(self.detections[target_id].rule, written)

    def snapshot_fields(self, node: CorrelationNode) -> tuple[str, ...]:
        for slot, source in enumerate(node.inputs):
            if isinstance(source, BaseInput):
                return node.spec.slot_fields[slot]
        return ()


def compile_correlations(
    filtered: FilteredRules,
    compiled: CompiledRuleSet,
    pipeline: ProcessingPipeline,
    language: str,
    *,
    default_interval: timedelta,
    max_lookback: timedelta,
) -> CompiledRuleSet:
    """``compiled`` with the correlations added and the rules they silence moved aside."""
    planner = _Planner(filtered, compiled, pipeline, language, FieldMapper(pipeline))
    result = CompiledRuleSet(
        rules=list(compiled.rules),
        errors=list(compiled.errors),
        warnings=list(compiled.warnings),
        correlation_inputs=list(compiled.correlation_inputs),
    )
    silenced: set[str] = set()
    for correlation in filtered.ruleset.correlations:
        try:
            node = planner.node(correlation)
        except _Refused as refused:
            result.errors.append(refused.error)
            continue
        if node.lookback > max_lookback:
            result.errors.append(
                correlation.error(
                    f"correlation needs events from {node.lookback} back (its timespans down "
                    f"the chain) but detection.max_lookback is {max_lookback}",
                    "correlation",
                    "timespan",
                )
            )
            continue
        alert_rule = alert_rule_for(correlation)
        query = CorrelationQuery(node, alert_rule, planner.snapshot_fields(node))
        interval = correlation.settings.interval or default_interval
        result.rules.append(CompiledRule(correlation, query, interval, alert_rule))
        if not correlation.rule.generate:
            silenced.update(str(planner.resolve(r)) for r in _references(correlation))
    result.correlation_inputs.extend(rule for rule in result.rules if rule.id in silenced)
    result.rules = [rule for rule in result.rules if rule.id not in silenced]
    return result


def _references(correlation: LoadedCorrelation) -> list[str]:
    rule = correlation.rule
    if rule.rules is not None:
        return [ref.reference for ref in rule.rules]
    condition = rule.condition
    if isinstance(condition, SigmaExtendedCorrelationCondition):
        return condition.get_referenced_rules()
    return []


def _group_by(correlation: LoadedCorrelation) -> tuple[str, ...]:
    return tuple(correlation.rule.group_by or ())
