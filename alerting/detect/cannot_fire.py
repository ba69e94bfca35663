"""Rules that cannot fire with the sources we collect.

A rule whose condition needs a field that no parser produces for the rule's datasets
(:mod:`alerting.detect.field_contract`) is scheduled, costs a search every cycle and never
raises an alert. Unlike a mere unknown field (``rules check`` warns of those too), this is
about the whole condition: the condition is evaluated with every missing field absent, in
two-valued "can be true / can be false" logic, so ``sel and not filter`` with ``filter`` on a
missing field still fires (the filter is never true), while ``sel`` on a missing field, or an
``or`` of such selections, does not.

An absent field makes a comparison false, except ``field: null`` and ``field|exists: false``,
which are then always true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule
from sigma.types import SigmaExists, SigmaNull

# What pySigma's parsed condition tree holds (None and identifiers only before postprocessing).
Node = Any


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Whether a condition can be true, and whether it can be false."""

    true: bool
    false: bool


ANY = Outcomes(True, True)


def can_fire(rule: SigmaRule, absent: Callable[[str], bool]) -> bool:
    """Whether some event with the fields for which ``absent(name)`` is False can match
    ``rule`` (Sigma field names, before the pipeline). A condition pySigma cannot parse is
    left to the compiler: it counts as able to fire."""
    try:
        roots = [condition.parsed for condition in rule.detection.parsed_condition]
    except SigmaError:
        return True
    return any(_outcomes(root, absent).true for root in roots)


def _outcomes(node: Node, absent: Callable[[str], bool]) -> Outcomes:
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _absent_field(node) if absent(node.field) else ANY
    if isinstance(node, ConditionNOT):
        inner = _outcomes(node.args[0], absent)
        return Outcomes(inner.false, inner.true)
    if isinstance(node, ConditionAND | ConditionOR):
        parts = [_outcomes(arg, absent) for arg in node.args]
        if isinstance(node, ConditionAND):
            return Outcomes(all(p.true for p in parts), any(p.false for p in parts))
        return Outcomes(any(p.true for p in parts), all(p.false for p in parts))
    return ANY  # a keyword, or anything new: assume it can go either way


def _absent_field(node: ConditionFieldEqualsValueExpression) -> Outcomes:
    value = node.value
    if isinstance(value, SigmaNull) or (isinstance(value, SigmaExists) and not value.exists):
        return Outcomes(True, False)
    return Outcomes(False, True)
