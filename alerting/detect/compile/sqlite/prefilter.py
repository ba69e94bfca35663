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

import itertools
import math
import re
from collections.abc import Sequence

from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionOR
from sigma.types import (
    SigmaBool,
    SigmaCompareExpression,
    SigmaExists,
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
# An OR's arguments' clauses are combined every way while the combinations are this few.
MAX_OR_CHOICES = 64


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


# Values that only a field present in the document can match (json_extract of an absent key
# is NULL, which no equality, comparison or regex holds for).
_PRESENT_ONLY = (
    SigmaString,
    SigmaNumber,
    SigmaBool,
    SigmaRegularExpression,
    SigmaCompareExpression,
)


def key_prefilter(field: str | None, value: object) -> Clause | None:
    """The prefilter of ``field``'s key as the document writes it (``"name":``), if
    ``field = value`` needs the field present: what a rule requires of a value without a
    useful needle of its own (``true``, ``3``, a regex without a literal run). Rare fields
    (most documents carry no ``invalid_user``) make it worth a scan; common ones lose to
    the values' needles (see _fewest_needles)."""
    container = sql_field_container(field) if field else None
    if container is None or field is None or not field.isascii():
        return None
    if isinstance(value, SigmaExpansion):
        needed = all(isinstance(each, _PRESENT_ONLY) for each in value.values)
    else:
        needed = isinstance(value, _PRESENT_ONLY) or (
            isinstance(value, SigmaExists) and value.exists
        )
    if not needed:
        return None
    return frozenset({(container, "%" + like_pattern([dumps(field) + ":"], str.lower) + "%")})


def names_a_key(prefilter: Prefilter) -> bool:
    """Whether a prefilter is a field's key (:func:`key_prefilter`), not a value."""
    return prefilter[1].startswith('%"') and prefilter[1].endswith('":%')


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
    return sorted(clauses, key=_fewest_needles)[:MAX_CLAUSES]


def _fewest_needles(clause: Clause) -> tuple[bool, int, list[Prefilter]]:
    # A clause naming a field's key comes after every clause of values alone: a key is in
    # every document carrying its field, often nearly all of them, so it rejects less.
    return (any(map(names_a_key, clause)), len(clause), sorted(clause))


def _minimal(clauses: set[Clause]) -> set[Clause]:
    """Without the clauses another one implies (a clause holds if any subset of it does)."""
    return {clause for clause in clauses if not any(other < clause for other in clauses)}


def _required(cond: object) -> set[Clause]:
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        leaf = leaf_prefilter(cond.field, cond.value) or key_prefilter(cond.field, cond.value)
        return {leaf} if leaf else set()
    if isinstance(cond, ConditionAND):
        # Every argument holds, so every argument's clauses hold.
        return set().union(*(_required(arg) for arg in cond.args))
    if isinstance(cond, ConditionOR) and cond.args:
        # One argument holds, so for any choice of one clause per argument, their union
        # holds. Every choice is kept while there are few: the factor all the arguments share
        # (`(a and /tmp/) or (b and /tmp/)` requires /tmp/) is found only that way.
        choices: list[set[Clause]] = []
        for arg in cond.args:
            clauses = _required(arg)
            if not clauses:
                return set()
            choices.append(clauses)
        if math.prod(map(len, choices)) > MAX_OR_CHOICES:
            choices = [{min(clauses, key=_fewest_needles)} for clauses in choices]
        return _minimal({frozenset().union(*picked) for picked in itertools.product(*choices)})
    return set()
