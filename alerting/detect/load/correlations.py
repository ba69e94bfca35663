"""Sigma correlation rules as loaded: the pySigma rule, where it came from and its condition.

pySigma parses the ``correlation:`` section but accepts only one operator in ``condition``,
while the specification allows a range (``gt: 100`` and ``lte: 200`` together, "101 to 200").
:func:`split_condition_ranges` hands pySigma the first operator and keeps the whole condition,
so a range is evaluated as written instead of being refused or silently narrowed.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
)

from alerting.detect.load.rule_settings import RuleSettings, RuleSettingsError, parse_settings
from canhgac.errors import RuleError
from canhgac.yaml_lines import YamlLines

# A correlation's metric against one bound of its condition.
CONDITION_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "neq": operator.ne,
}
# The keys of a condition that are not bounds.
CONDITION_OPTIONS = ("field", "percentile")
# The keys of a correlation section; pySigma ignores any other, so a typo would silently
# change the rule ("groupby" would count every event as one group).
CORRELATION_KEYS = ("type", "rules", "group-by", "timespan", "condition", "aliases", "generate")
MEDIAN = 50.0


@dataclass(frozen=True, slots=True)
class Bound:
    """One ``op: value`` of a correlation condition; several bounds must all hold."""

    op: str
    value: float

    def holds(self, metric: float) -> bool:
        return CONDITION_OPERATORS[self.op](metric, self.value)


@dataclass(frozen=True, slots=True)
class LoadedCorrelation:
    """A valid correlation rule with where it came from and its whole condition."""

    rule: SigmaCorrelationRule
    path: Path
    lines: YamlLines
    settings: RuleSettings
    bounds: tuple[Bound, ...]
    # value_percentile (value_median: 50); None for every other type.
    percentile: float | None = None

    @property
    def id(self) -> str:
        return str(self.rule.id)

    @property
    def title(self) -> str:
        return str(self.rule.title)

    @property
    def name(self) -> str | None:
        return self.rule.name

    @property
    def kind(self) -> str:
        return str(self.rule.type.name.lower())

    @property
    def extended(self) -> SigmaExtendedCorrelationCondition | None:
        condition = self.rule.condition
        return condition if isinstance(condition, SigmaExtendedCorrelationCondition) else None

    @property
    def value_field(self) -> str | None:
        condition = self.rule.condition
        if isinstance(condition, SigmaCorrelationCondition) and condition.fieldref:
            return str(condition.fieldref)
        return None

    def holds(self, metric: float | None) -> bool:
        return metric is not None and all(bound.holds(metric) for bound in self.bounds)

    def line_of(self, *key: str | int) -> int:
        return self.lines.key(*key) or 1

    def error(self, message: str, *key: str | int) -> RuleError:
        return RuleError(message, str(self.path), self.line_of(*key))


def split_condition_ranges(documents: Iterable[Any]) -> tuple[list[Any], dict[str, Any]]:
    """The documents as pySigma can parse them, and each correlation section as written, by
    rule id."""
    prepared: list[Any] = []
    sections: dict[str, Any] = {}
    for document in documents:
        section = document.get("correlation") if isinstance(document, dict) else None
        if isinstance(section, dict):
            sections[str(document.get("id"))] = section
        condition = section.get("condition") if isinstance(section, dict) else None
        if not isinstance(condition, dict):
            prepared.append(document)
            continue
        document = copy.deepcopy(document)
        document["correlation"]["condition"] = _for_pysigma(condition)
        prepared.append(document)
    return prepared, sections


def _for_pysigma(condition: dict[Any, Any]) -> dict[Any, Any]:
    """One valid operator and the valid options: pySigma raises (instead of collecting) on
    anything else, which would lose the line; :func:`load_correlation` reports it instead."""
    ops = [k for k, v in condition.items() if k in CONDITION_OPERATORS and _number(v) is not None]
    kept: dict[Any, Any] = {ops[0]: condition[ops[0]]} if ops else {"gte": 1}
    if isinstance(condition.get("field"), str):
        kept["field"] = condition["field"]
    if _number(condition.get("percentile")) is not None:
        kept["percentile"] = int(condition["percentile"])
    return kept


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def load_correlation(
    rule: SigmaCorrelationRule, path: Path, lines: YamlLines, section: Any
) -> LoadedCorrelation | list[RuleError]:
    """Check what pySigma leaves to backends; every problem is one error with its line."""
    where = str(path)
    problems: list[RuleError] = [
        RuleError(
            f"unknown key 'correlation.{key}'", where, lines.key("correlation", str(key)) or 1
        )
        for key in (section if isinstance(section, dict) else {})
        if key not in CORRELATION_KEYS
    ]
    raw_condition = section.get("condition") if isinstance(section, dict) else None
    if rule.id is None:
        problems.append(RuleError("rule has no 'id' (a UUID is required)", where, 1))
    settings = RuleSettings()
    try:
        settings = parse_settings(rule.custom_attributes)
    except RuleSettingsError as exc:
        problems.extend(RuleError(m, where, lines.key(*loc) or 1) for loc, m in exc.problems)
    if settings.group_by or settings.suppress is not None:
        problems.append(
            RuleError(
                "canhgac.group_by and canhgac.suppress do not apply to a correlation rule "
                "(it alerts once per group and burst; use correlation.group-by)",
                where,
                lines.key("canhgac") or 1,
            )
        )
    bounds = _bounds(rule, raw_condition, where, lines, problems)
    percentile = _percentile(rule, where, lines, problems)
    if problems:
        return problems
    return LoadedCorrelation(rule, path, lines, settings, bounds, percentile)


def _bounds(
    rule: SigmaCorrelationRule,
    raw_condition: Any,
    where: str,
    lines: YamlLines,
    problems: list[RuleError],
) -> tuple[Bound, ...]:
    condition = rule.condition
    if isinstance(condition, SigmaExtendedCorrelationCondition):
        return ()
    if not isinstance(raw_condition, dict):
        # No condition written: pySigma's default (temporal types: every rule present).
        return (Bound(condition.op.name.lower(), float(condition.count)),)
    bounds = []
    for key, value in raw_condition.items():
        line = lines.key("correlation", "condition", str(key)) or 1
        if key == "field" and not isinstance(value, str):
            problems.append(
                RuleError("correlation condition field: expected one field name", where, line)
            )
        if key in CONDITION_OPTIONS:
            continue
        if key not in CONDITION_OPERATORS:
            problems.append(
                RuleError(f"unknown correlation condition operator {key!r}", where, line)
            )
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(
                RuleError(
                    f"correlation condition {key}: expected a number, got {value!r}", where, line
                )
            )
        else:
            bounds.append(Bound(str(key), float(value)))
    if not bounds and not problems:
        problems.append(
            RuleError(
                f"correlation condition needs one of {', '.join(CONDITION_OPERATORS)}",
                where,
                lines.key("correlation", "condition") or 1,
            )
        )
    return tuple(bounds)


def _percentile(
    rule: SigmaCorrelationRule, where: str, lines: YamlLines, problems: list[RuleError]
) -> float | None:
    if rule.type is SigmaCorrelationType.VALUE_MEDIAN:
        return MEDIAN
    if rule.type is not SigmaCorrelationType.VALUE_PERCENTILE:
        return None
    condition = rule.condition
    value = condition.percentile if isinstance(condition, SigmaCorrelationCondition) else None
    if value is None or not 0 <= value <= 100:
        line = lines.key("correlation", "condition", "percentile") or 1
        problems.append(
            RuleError("value_percentile needs condition.percentile between 0 and 100", where, line)
        )
        return None
    return float(value)
