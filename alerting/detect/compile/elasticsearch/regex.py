"""Sigma ``|re`` (Python regex search semantics) as a Lucene ``regexp`` (whole-term match).

Lucene regexes are implicitly anchored to the whole value, know no ``(?i)``, no lookarounds,
no backreferences, and read ``\\d``/``\\w``/``\\s`` as ASCII classes. The SQLite store runs
Sigma regexes with Python's ``re.search``. So the pattern is parsed with Python's own parser
and rebuilt:

* every single-character item (literal, ``.``, class, ``\\d`` ...) becomes the explicit set
  of code points Python matches with the flags in force
  (:mod:`alerting.detect.compile.elasticsearch.charsets`);
  ``(?i)`` is thereby applied exactly as Python applies it, and ``|re|i`` needs nothing more;
* the search is made a whole-value match: ``.*`` before and after, except where an anchor
  pins the match. ``^``/``\\A`` hold only at the start (or after a newline with ``(?m)``),
  ``$`` at the end or before a final newline, ``\\Z`` at the very end. Anchors may sit
  anywhere a match can only be at that edge (``^a``, ``(^|/)x``, ``a$|^b``); the translation
  tracks, per item, whether it can touch the edge, and emits one variant per edge case;
* constructs Lucene cannot express are refused with the reason: lookarounds, backreferences,
  conditionals, ``\\b``, possessive and atomic groups, an anchor inside a repetition or after
  an optional part, mixed anchor styles.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sigma.exceptions import SigmaFeatureNotSupportedByBackendError

from alerting.detect.compile.elasticsearch.charsets import (
    EVERYTHING,
    CharSet,
    complement,
    ignorecase_literal,
    python_charset,
    render,
    union,
)

# Python's regex parser; stable in practice, private in name, and without type stubs.
_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")

Item = tuple[Any, Any]  # (opcode, argument) as re._parser produces them
# The flags that change what one character matches.
_CHAR_FLAGS = re.IGNORECASE | re.DOTALL | re.ASCII
_MAX_REPEAT = 1000
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
_REFUSED = {
    "ASSERT": "lookahead/lookbehind assertions",
    "ASSERT_NOT": "negative lookahead/lookbehind assertions",
    "GROUPREF": "backreferences",
    "GROUPREF_EXISTS": "conditional groups",
    "POSSESSIVE_REPEAT": "possessive quantifiers",
    "ATOMIC_GROUP": "atomic groups",
}
_START = {"AT_BEGINNING", "AT_BEGINNING_STRING"}
_END = {"AT_END", "AT_END_STRING"}
# What may precede / follow a match that touches an edge, per anchor style.
_BEFORE = {"text": "", "line": "(.*\n)?"}
_AFTER = {"text": "", "text_or_final_newline": "\n?", "line": "(\n.*)?"}


class RegexNotSupported(SigmaFeatureNotSupportedByBackendError):
    """A regex construct Lucene cannot express."""


def _name(op: Any) -> str:
    return str(op)


def _codepoint(point: int) -> str:
    return f"\\U{point:08x}"


def _class_source(items: Sequence[Item]) -> str:
    """Python source for a class matching what an ``IN`` item matches."""
    out = []
    for op, arg in items:
        name = _name(op)
        if name == "NEGATE":
            out.append("^")
        elif name == "LITERAL":
            out.append(_codepoint(arg))
        elif name == "RANGE":
            out.append(f"{_codepoint(arg[0])}-{_codepoint(arg[1])}")
        elif name == "CATEGORY" and _name(arg) in _CATEGORIES:
            out.append(_CATEGORIES[_name(arg)])
        else:
            raise RegexNotSupported(f"character class item {name} {arg}")
    return "[" + "".join(out) + "]"


def _class_charset(items: Sequence[Item], flags: int) -> CharSet:
    if flags & re.IGNORECASE:
        # How (?i) widens a class is subtle (ranges, special cases): ask Python directly.
        return python_charset(_class_source(items), flags)
    members: list[CharSet] = []
    for op, arg in items:
        name = _name(op)
        if name == "LITERAL":
            members.append(((arg, arg),))
        elif name == "RANGE":
            members.append(((arg[0], arg[1]),))
        elif name == "CATEGORY" and _name(arg) in _CATEGORIES:
            members.append(python_charset(_CATEGORIES[_name(arg)], flags & re.ASCII))
        elif name != "NEGATE":
            raise RegexNotSupported(f"character class item {name} {arg}")
    found = union(*members)
    return complement(found) if items and _name(items[0][0]) == "NEGATE" else found


def _charset(name: str, arg: Any, flags: int) -> CharSet:
    """The characters one single-character item matches, as Python matches them."""
    ignore = bool(flags & re.IGNORECASE)
    if name == "LITERAL":
        return ignorecase_literal(arg) if ignore else ((arg, arg),)
    if name == "NOT_LITERAL":
        return (
            python_charset(f"[^{_codepoint(arg)}]", flags) if ignore else complement(((arg, arg),))
        )
    if name == "ANY":
        return EVERYTHING if flags & re.DOTALL else complement(((10, 10),))
    return _class_charset(arg, flags)


def _walk(items: Sequence[Item], flags: int) -> Iterator[tuple[str, Any, int]]:
    for op, arg in items:
        name = _name(op)
        yield name, arg, flags
        if name == "SUBPATTERN":
            yield from _walk(arg[3], (flags | arg[1]) & ~arg[2])
        elif name == "BRANCH":
            for alternative in arg[1]:
                yield from _walk(alternative, flags)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            yield from _walk(arg[2], flags)
        elif name in ("ATOMIC_GROUP",):
            yield from _walk(arg, flags)


def _has(items: Sequence[Item], anchors: set[str]) -> bool:
    return any(n == "AT" and _name(a) in anchors for n, a, _ in _walk(items, 0))


def _nullable(items: Sequence[Item]) -> bool:
    """Whether the sequence can match the empty string."""
    return all(_item_nullable(op, arg) for op, arg in items)


def _item_nullable(op: Any, arg: Any) -> bool:
    name = _name(op)
    if name == "AT":
        return True
    if name == "SUBPATTERN":
        return _nullable(arg[3])
    if name == "BRANCH":
        return any(_nullable(alternative) for alternative in arg[1])
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        return bool(arg[0] == 0 or _nullable(arg[2]))
    return False


def _unit_end(regex: str, index: int) -> int:
    """The end of the unit starting at ``index``: an escaped or plain character, a class, or
    a parenthesised group with everything nested in it."""
    depth = 0
    in_class = False
    while index < len(regex):
        char = regex[index]
        index += 2 if char == "\\" else 1
        if char == "\\":
            pass
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            index += regex[index] == "^"
            continue
        elif char in "()":
            depth += 1 if char == "(" else -1
        if depth == 0 and not in_class:
            return index
    return index


def _is_atom(regex: str) -> bool:
    """Whether a quantifier applies to the whole of ``regex`` without parentheses."""
    return _unit_end(regex, 0) == len(regex)


def _is_anchor(item: Item) -> bool:
    return _name(item[0]) == "AT"


@dataclass
class _Translation:
    flags: int
    start_style: str | None = None
    end_style: str | None = None
    problems: list[str] = field(default_factory=list)

    def seq(self, items: Sequence[Item], flags: int, start: bool, end: bool) -> str | None:
        out = []
        for index, item in enumerate(items):
            at_start = self._edge(items[:index], start, _START, item, self.start_style)
            at_end = self._edge(items[index + 1 :], end, _END, item, self.end_style)
            piece = self.item(item, flags, at_start, at_end)
            if piece is None:
                return None
            out.append(piece)
        return "".join(out)

    @staticmethod
    def _edge(
        between: Sequence[Item], edge: bool, anchors: set[str], item: Item, style: str | None
    ) -> bool:
        """Whether ``item`` (if it holds one of ``anchors``) touches the edge of the value:
        only if everything ``between`` it and the edge matches nothing."""
        if not edge or not _has([item], anchors):
            return False
        if all(_is_anchor(other) for other in between):
            return True
        if not _nullable(between):
            if style == "line":
                # With (?m) an anchor after a newline holds mid-value; not expressible here.
                raise RegexNotSupported("an anchor in the middle of a multiline regex")
            return False
        raise RegexNotSupported("an anchor next to an optional part of the regex")

    def item(self, item: Item, flags: int, start: bool, end: bool) -> str | None:
        op, arg = item
        name = _name(op)
        if name in _REFUSED:
            raise RegexNotSupported(_REFUSED[name])
        handler = _ITEMS.get(name)
        if handler is None:
            raise RegexNotSupported(f"the regex construct {name}")
        return handler(self, arg, flags, start, end)

    def atom(self, name: str, arg: Any, flags: int) -> str | None:
        return render(_charset(name, arg, flags & _CHAR_FLAGS))

    def anchor(self, arg: Any, flags: int, start: bool, end: bool) -> str | None:
        kind = _name(arg)
        if kind in _START:
            return "" if start else None
        if kind in _END:
            return "" if end else None
        raise RegexNotSupported("\\b and \\B word boundaries")

    def branch(self, arg: Any, flags: int, start: bool, end: bool) -> str | None:
        found = [self.seq(alternative, flags, start, end) for alternative in arg[1]]
        kept = [each for each in found if each is not None]
        if not kept:
            return None
        real = [each for each in dict.fromkeys(kept) if each]
        if not real:
            return ""
        return "(" + "|".join(real) + ")" + ("?" if "" in kept else "")

    def group(self, arg: Any, flags: int, start: bool, end: bool) -> str | None:
        # No parentheses needed: alternations bracket themselves, repetitions their operand.
        return self.seq(arg[3], (flags | arg[1]) & ~arg[2], start, end)

    def repeat(self, arg: Any, flags: int, start: bool, end: bool) -> str | None:
        low, high, items = arg
        if _has(items, _START | _END):
            raise RegexNotSupported("an anchor inside a repetition")
        unbounded = high is _constants.MAXREPEAT
        if max(low, 0 if unbounded else high) > _MAX_REPEAT:
            raise RegexNotSupported(f"a repetition count above {_MAX_REPEAT}")
        inner = self.seq(items, flags, False, False)
        if inner is None:
            return "" if low == 0 else None
        if not inner:
            return ""
        quantifier = {(0, True): "*", (1, True): "+"}.get((low, unbounded))
        if quantifier is None:
            if unbounded:
                quantifier = f"{{{low},}}"
            elif (low, high) == (0, 1):
                quantifier = "?"
            else:
                quantifier = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return (inner if _is_atom(inner) else f"({inner})") + quantifier


_ItemHandler = Callable[[_Translation, Any, int, bool, bool], str | None]


def _atom_handler(name: str) -> _ItemHandler:
    return lambda self, arg, flags, start, end: self.atom(name, arg, flags)


_ITEMS: dict[str, _ItemHandler] = {
    **{name: _atom_handler(name) for name in ("LITERAL", "NOT_LITERAL", "ANY", "IN")},
    "AT": _Translation.anchor,
    "BRANCH": _Translation.branch,
    "SUBPATTERN": _Translation.group,
    "MAX_REPEAT": _Translation.repeat,
    # Laziness changes which match is found, never whether one is.
    "MIN_REPEAT": _Translation.repeat,
}


def _styles(parsed: Sequence[Item], flags: int) -> tuple[str | None, str | None]:
    starts, ends = set(), set()
    for name, arg, scoped in _walk(parsed, flags):
        if name != "AT":
            continue
        multiline = bool(scoped & re.MULTILINE)
        kind = _name(arg)
        if kind == "AT_BEGINNING":
            starts.add("line" if multiline else "text")
        elif kind == "AT_BEGINNING_STRING":
            starts.add("text")
        elif kind == "AT_END":
            ends.add("line" if multiline else "text_or_final_newline")
        elif kind == "AT_END_STRING":
            ends.add("text")
    if len(starts) > 1 or len(ends) > 1:
        raise RegexNotSupported("start or end anchors of different kinds in one regex")
    return next(iter(starts), None), next(iter(ends), None)


def lucene_regex(pattern: str) -> str | None:
    """The Lucene regex matching exactly the values in which Python's ``re.search(pattern)``
    finds a match; None if no value can match. Raises :class:`RegexNotSupported`."""
    parsed = _parser.parse(pattern, 0)
    flags = int(parsed.state.flags)
    items = list(parsed)
    start_style, end_style = _styles(items, flags)
    translation = _Translation(flags, start_style, end_style)
    variants = []
    for start in (True, False) if start_style else (False,):
        for end in (True, False) if end_style else (False,):
            body = translation.seq(items, flags, start, end)
            if body is None:
                continue
            before = _BEFORE[start_style] if start and start_style else ".*"
            after = _AFTER[end_style] if end and end_style else ".*"
            variants.append(before + body + after)
    unique = list(dict.fromkeys(variants))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else "|".join(f"({each})" for each in unique)
