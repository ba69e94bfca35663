"""Cheap prefilters: look for a value in the stored JSON text before parsing the JSON.

A field kept in the event's JSON document costs a ``json_extract`` (a parse) per event. The
document is written with :func:`canhgac.text.dumps`, which escapes each character on its own,
so if a field's value contains a needle, the document's raw text contains the needle's JSON
encoding. ``doc LIKE '%needle%'`` -- a fast substring scan -- is therefore a sound necessary
condition and rejects nearly every event before any JSON is parsed. Two places use it:

* each leaf (``field = value``) is guarded by its own prefilter;
* the whole rule is guarded by the needles its condition *requires*
  (:func:`required_prefilters`): a conjunction of clauses, each "one of these needles",
  deduplicated, so a rule testing 30 needles against three URL fields scans for 30, not 90.

A needle must be ASCII (``LIKE`` folds ASCII case only, Sigma folds every letter) and at least
:data:`MIN_NEEDLE` characters long (``'1'`` is in every document and filters nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionOR
from sigma.types import (
    SigmaExpansion,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from alerting.detect.compile.patterns import StringPart
from alerting.detect.compile.sqlite.patterns import like_pattern, sql_literal
from canhgac.store.dialect import sql_field_container
from canhgac.text import dumps

# (container expression, LIKE pattern)
Prefilter = tuple[str, str]
# One of the prefilters must hold.
Clause = frozenset[Prefilter]
MIN_NEEDLE = 3
# Enough clauses to reject on the rare part of a rule; more would only cost scans.
MAX_CLAUSES = 3


def prefilter_pattern(parts: Sequence[StringPart]) -> str | None:
    """A LIKE pattern the JSON document must match if a value matches ``parts``, or None
    when no sound and useful one exists."""
    literals = "".join(part for part in parts if isinstance(part, str))
    if len(literals) < MIN_NEEDLE or not literals.isascii():
        return None
    # A single-character wildcard may stand for a character JSON writes as several.
    widened: list[StringPart] = []
    for part in parts:
        if part is SpecialChars.WILDCARD_SINGLE:
            part = SpecialChars.WILDCARD_MULTI
        # Adjacent wildcards are one; merged as parts, never in the rendered text, where a
        # literal '%' is the escaped '\%' and must keep the wildcard that follows it.
        if not (part is SpecialChars.WILDCARD_MULTI and widened and widened[-1] is part):
            widened.append(part)
    while widened and widened[0] is SpecialChars.WILDCARD_MULTI:
        widened.pop(0)
    while widened and widened[-1] is SpecialChars.WILDCARD_MULTI:
        widened.pop()
    # LIKE folds ASCII case, so lowercase needles are the same filter and deduplicate.
    return "%" + like_pattern(widened, _json_text) + "%"


def _json_text(text: str) -> str:
    return dumps(text)[1:-1].lower()


def _json_digits(number: int | float) -> bool:
    # JSON writes a large or fractional stored number in a form (1e+20, 4624.0) that may not
    # contain the rule's digits; only modest integers are sure to appear as written.
    return isinstance(number, int) and abs(number) < 10**15


def render(clauses: Sequence[Clause]) -> str:
    """The SQL for a conjunction of clauses."""
    return " AND ".join(_render_clause(clause) for clause in clauses)


def _render_clause(clause: Clause) -> str:
    tests = [
        f"{container} LIKE {sql_literal(pattern)} ESCAPE '\\'"
        for container, pattern in sorted(clause)
    ]
    return tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"


def leaf_prefilter(field: str | None, value: object) -> Clause | None:
    """The prefilters one of which ``field = value`` requires, or None if there are none."""
    container = sql_field_container(field) if field else None
    if container is None:
        return None
    if isinstance(value, SigmaExpansion):
        found = [leaf_prefilter(field, each) for each in value.values]
        if not found or any(each is None for each in found):
            return None
        return frozenset().union(*(each for each in found if each is not None))
    pattern = None
    if isinstance(value, SigmaString):
        pattern = prefilter_pattern(value.s)
    elif isinstance(value, SigmaNumber) and _json_digits(value.number):
        pattern = prefilter_pattern([str(value.number)])
    elif isinstance(value, SigmaRegularExpression) and (run := regex_literal(value)):
        pattern = prefilter_pattern([run])
    return frozenset({(container, pattern)}) if pattern else None


# Characters a regex literal run may hold: JSON writes them as themselves (no quote or
# backslash), and LIKE and the needle automaton compare them as ASCII.
_PLAIN = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#%&',-/:;<=>@_`~"
)
# Python's re.IGNORECASE also matches these letters with non-ASCII ones (i: U+0130 and U+0131,
# k: the Kelvin sign, s: U+017F), which no ASCII needle would find.
_FOLDS_BEYOND_ASCII = frozenset("iIkKsS")
_OPTIONAL = frozenset("?*{")
_VERBOSE = re.compile(r"\(\?[a-zA-Z]*x")


def regex_literal(value: SigmaRegularExpression) -> str | None:
    """The longest run of plain characters every match of the regex contains, or None.

    Conservative: only the regex's top level is read (a group, class, escape, anchor or ``.``
    ends a run, a character made optional by ``?``, ``*`` or ``{`` is dropped) and a top-level
    ``|`` means no run at all."""
    pattern, depth, position = str(value.regexp), 0, 0
    if _VERBOSE.search(pattern):
        return None  # (?x): spaces and '#' in the pattern are not characters to match
    # An inline flag group may turn on IGNORECASE anywhere: assume it did.
    ignore_case = SigmaRegularExpressionFlag.IGNORECASE in value.flags or "(?" in pattern
    runs, run = [], ""
    while position < len(pattern):
        char = pattern[position]
        following = pattern[position + 1 : position + 2]
        position += 1
        if char == "\\":
            position += 1  # the escaped character, whatever it is, is not plain
        elif char == "[":
            position = _class_end(pattern, position)
        elif char == "{":  # a quantifier's bounds (or braces taken literally): not a run
            closing = pattern.find("}", position)
            position = len(pattern) if closing < 0 else closing + 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return None
        elif depth == 0 and char in _PLAIN and following not in _OPTIONAL:
            if not (ignore_case and char in _FOLDS_BEYOND_ASCII):
                run += char
                continue
        runs.append(run)
        run = ""
    runs.append(run)
    longest = max(runs, key=len)
    return longest if len(longest) >= MIN_NEEDLE else None


def _class_end(pattern: str, position: int) -> int:
    """The position after the character class opened just before ``position``."""
    if pattern[position : position + 1] == "^":
        position += 1
    if pattern[position : position + 1] == "]":
        position += 1  # a leading ']' is a member
    while position < len(pattern) and pattern[position] != "]":
        position += 2 if pattern[position] == "\\" else 1
    return position + 1


def required_prefilters(cond: object) -> list[Clause]:
    """Clauses every event matching ``cond`` satisfies (empty: nothing is known), fewest
    needles first. A negation, regex, keyword or comparison contributes nothing."""
    clauses = _required(cond)
    return sorted(clauses, key=lambda clause: (len(clause), sorted(clause)))[:MAX_CLAUSES]


def _required(cond: object) -> set[Clause]:
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        leaf = leaf_prefilter(cond.field, cond.value)
        return {leaf} if leaf else set()
    if isinstance(cond, ConditionAND):
        # Every argument holds, so every argument's clauses hold.
        return set().union(*(_required(arg) for arg in cond.args))
    if isinstance(cond, ConditionOR) and cond.args:
        # One argument holds: the union of one clause from each argument is required.
        picked = []
        for arg in cond.args:
            clauses = _required(arg)
            if not clauses:
                return set()
            picked.append(min(clauses, key=lambda clause: (len(clause), sorted(clause))))
        return {frozenset().union(*picked)}
    return set()
