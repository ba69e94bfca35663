"""Character sets for Lucene regular expressions, computed from Python's own definitions.

The SQLite store matches Sigma regexes with Python's ``re``. To give Elasticsearch *the same*
answers, every character class is
turned into an explicit set of code points by asking Python itself: a class is run over a
string holding every code point once, in order, and each run of matches is a range. So
``\\d``, ``\\s``, ``[^-\\s]`` or an ``(?i)`` letter mean in Elasticsearch exactly what they
mean in Python (Unicode digits and spaces, the Kelvin sign for ``k`` ...), not what Lucene's
shorthands mean (ASCII only).

Lucene escapes: a backslash before an ASCII punctuation character makes it literal. Letters
and digits are never escaped, because ``\\n``, ``\\d``, ``\\w`` are Lucene shorthands;
control characters need no escape.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import lru_cache

Range = tuple[int, int]  # inclusive code point bounds
CharSet = tuple[Range, ...]

_MAX = 0x10FFFF
# Surrogates cannot appear in stored (UTF-8) text; leaving them out keeps every set encodable.
_PLANES: tuple[tuple[int, int], ...] = ((0, 0xD7FF), (0xE000, _MAX))
EVERYTHING: CharSet = _PLANES


@lru_cache(maxsize=1)
def universe() -> tuple[tuple[int, str], ...]:
    return tuple((low, "".join(map(chr, range(low, high + 1)))) for low, high in _PLANES)


@lru_cache(maxsize=4096)
def python_charset(single_char_pattern: str, flags: int) -> CharSet:
    """The code points ``single_char_pattern`` (one character wide) matches under ``flags``."""
    runs = re.compile(f"(?:{single_char_pattern})+", flags)
    found: list[Range] = []
    for base, text in universe():
        found.extend((base + m.start(), base + m.end() - 1) for m in runs.finditer(text))
    return tuple(found)


def length(text: str) -> int:
    """Length as Elasticsearch counts it (UTF-16 code units, Java's String.length)."""
    return len(text.encode("utf-16-le")) // 2


_PUNCTUATION = frozenset(string.punctuation)


def escape(char: str) -> str:
    """``char`` as a Lucene regex literal (inside or outside a class). Only ASCII
    punctuation is special; other characters, control characters included, stand for
    themselves."""
    return "\\" + char if char in _PUNCTUATION else char


def escape_text(text: str) -> str:
    return "".join(escape(char) for char in text)


def ignorecase_literal(point: int) -> CharSet:
    """The characters Python's ``(?i)`` matches for the literal ``chr(point)``."""
    return python_charset(re.escape(chr(point)), re.IGNORECASE)


def union(*sets: CharSet) -> CharSet:
    out: list[list[int]] = []
    for start, end in sorted(r for each in sets for r in each):
        if out and start <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((start, end) for start, end in out)


def complement(ranges: CharSet) -> CharSet:
    out: list[Range] = []
    for low, high in _PLANES:
        cursor = low
        for start, end in ranges:
            if end < low or start > high:
                continue
            if start > cursor:
                out.append((cursor, start - 1))
            cursor = max(cursor, end + 1)
        if cursor <= high:
            out.append((cursor, high))
    return tuple(out)


def _items(ranges: CharSet) -> str:
    parts = []
    for start, end in ranges:
        if start == end:
            parts.append(escape(chr(start)))
        elif end == start + 1:
            parts.append(escape(chr(start)) + escape(chr(end)))
        else:
            parts.append(f"{escape(chr(start))}-{escape(chr(end))}")
    return "".join(parts)


def render(ranges: CharSet) -> str | None:
    """The shortest Lucene atom for a set: a literal, ``.``, ``[...]`` or ``[^...]``; None
    when the set is empty (nothing can match)."""
    # Surrogates (a regex may name them) never occur in stored text and cannot be sent.
    ranges = tuple(
        (max(start, low), min(end, high))
        for start, end in ranges
        for low, high in _PLANES
        if start <= high and end >= low
    )
    if not ranges:
        return None
    if ranges == EVERYTHING:
        return "."
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return escape(chr(ranges[0][0]))
    plain = f"[{_items(ranges)}]"
    negated = f"[^{_items(complement(ranges))}]"
    return plain if length(plain) <= length(negated) else negated


def merge(points: Iterable[int]) -> CharSet:
    out: list[list[int]] = []
    for point in sorted(set(points)):
        if out and out[-1][1] == point - 1:
            out[-1][1] = point
        else:
            out.append([point, point])
    return tuple((low, high) for low, high in out)
