"""Sigma filters and rule suppressions (the files' "exceptions"), applied to the rules before
they are compiled.

Both become extra ``and not <selection>`` conditions of the rules they target (pySigma's
:meth:`SigmaFilter.apply_on_rule`, the Sigma filters specification). Doing it at compile time
rather than as a post-filter on matched events means:

* the exclusion is part of the query every store runs, through the same backend that handles
  every Sigma modifier, field mapping and case rule, so SQLite and Elasticsearch agree by
  construction (a Python post-filter would be a third Sigma matcher to keep in step);
* excluded events are never fetched, counted or linked to an alert, and a correlation counts
  only what its (filtered) base rules match;
* ``canhgac rules convert`` shows the query with its exceptions, as production runs it.

Targets: a Sigma filter applies to the rules its ``rules`` list names (``any``: every rule)
whose log source its ``logsource`` contains. Filters never apply to correlation rules (the
specification); an *exception* that names a correlation is added to that correlation's base
rules only where the correlation reads them.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sigma.filters import SigmaFilter, SigmaGlobalFilter
from sigma.rule import SigmaRule

from alerting.detect.load.correlations import LoadedCorrelation
from alerting.detect.load.ruleset import LoadedFilter, LoadedRule, RuleSet
from alerting.detect.load.suppressions import LoadedSuppression, SuppressionSet, expiry_warning
from canhgac.errors import RuleError


@dataclass(slots=True)
class FilteredRules:
    """The rule set with filters and suppressions applied, and what could not be applied."""

    ruleset: RuleSet
    # Correlation id -> filter bodies to add to each of its base rules, inside it only.
    correlation_filters: dict[str, list[SigmaGlobalFilter]] = field(default_factory=dict)
    # Rule id -> what changed it ("filter <title>", "exception <id>"), for check and convert.
    applied: dict[str, list[str]] = field(default_factory=dict)
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def with_filter(rule: SigmaRule, body: SigmaGlobalFilter, title: str) -> SigmaRule:
    """A copy of ``rule`` that also requires ``body``'s condition."""
    applied = SigmaFilter(title=title, logsource=rule.logsource, filter=copy.deepcopy(body))
    result = applied.apply_on_rule(copy.deepcopy(rule))
    assert isinstance(result, SigmaRule)
    return result


def apply_filters(ruleset: RuleSet, suppressions: SuppressionSet, today: date) -> FilteredRules:
    """Apply every Sigma filter of ``ruleset`` and every unexpired suppression."""
    result = FilteredRules(ruleset, errors=list(suppressions.errors))
    names = _rule_names(ruleset)
    pending: dict[str, list[tuple[str, SigmaGlobalFilter]]] = {}
    for loaded_filter in ruleset.filters:
        for rule_id in _filter_targets(loaded_filter, ruleset, names, result.errors):
            pending.setdefault(rule_id, []).append(
                (f"filter '{loaded_filter.title}'", loaded_filter.filter.filter)
            )
    correlation_ids = {c.id for c in ruleset.correlations}
    result.warnings.extend(expiry_warning(e) for e in suppressions.expired(today))
    for loaded in suppressions.active(today):
        for rule_id in _exception_targets(loaded, names, result.errors):
            label = f"exception '{loaded.suppression.id}'"
            if rule_id in correlation_ids:
                result.correlation_filters.setdefault(rule_id, []).append(loaded.sigma_filter())
                result.applied.setdefault(rule_id, []).append(label)
            else:
                pending.setdefault(rule_id, []).append((label, loaded.sigma_filter()))
    rules = [_filtered(rule, pending.get(rule.id, []), result) for rule in ruleset.rules]
    result.ruleset = dataclasses.replace(ruleset, rules=rules)
    return result


def _filtered(
    loaded: LoadedRule, filters: Sequence[tuple[str, SigmaGlobalFilter]], result: FilteredRules
) -> LoadedRule:
    if not filters:
        return loaded
    rule = loaded.rule
    for label, body in filters:
        rule = with_filter(rule, body, label)
        result.applied.setdefault(loaded.id, []).append(label)
    return dataclasses.replace(loaded, rule=rule)


def _rule_names(ruleset: RuleSet) -> dict[str, str]:
    """Reference (id or name) -> rule id, for detection and correlation rules."""
    names: dict[str, str] = {}
    items: list[LoadedRule | LoadedCorrelation] = [*ruleset.rules, *ruleset.correlations]
    for item in items:
        names[item.id] = item.id
        if item.rule.name:
            names.setdefault(str(item.rule.name), item.id)
    return names


def _filter_targets(
    loaded: LoadedFilter, ruleset: RuleSet, names: dict[str, str], errors: list[RuleError]
) -> list[str]:
    references = loaded.references()
    if references is None:
        wanted = {rule.id for rule in ruleset.rules}
    else:
        wanted = set()
        for index, reference in enumerate(references):
            line = loaded.lines.key("filter", "rules", index) or 1
            if reference not in names:
                errors.append(
                    RuleError(f"filter names unknown rule '{reference}'", str(loaded.path), line)
                )
            elif names[reference] in {c.id for c in ruleset.correlations}:
                errors.append(
                    RuleError(
                        f"filter names correlation rule '{reference}'; Sigma filters apply to "
                        "detection rules (name its base rules, or write an exception)",
                        str(loaded.path),
                        line,
                    )
                )
            else:
                wanted.add(names[reference])
    return [
        rule.id
        for rule in ruleset.rules
        if rule.id in wanted and rule.rule.logsource in loaded.filter.logsource
    ]


def _exception_targets(
    loaded: LoadedSuppression, names: dict[str, str], errors: list[RuleError]
) -> list[str]:
    targets = []
    for reference in loaded.suppression.rules:
        if reference in names:
            targets.append(names[reference])
        else:
            errors.append(
                RuleError(
                    f"exception '{loaded.suppression.id}' names unknown rule '{reference}'",
                    str(loaded.path),
                    loaded.line,
                )
            )
    return targets
