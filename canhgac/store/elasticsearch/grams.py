"""Trigrams: how the Elasticsearch store answers substring matches without a term-dictionary walk.

A case-insensitive ``*needle*`` on a keyword field makes Lucene test every distinct value of
the field (its terms dictionary), which for a field unique per event (``event.original``) is a
scan of the whole index per rule leaf. The store therefore keeps such *gram fields* in doc
values only and indexes, per event, the set of trigrams of their values in one keyword field
(``canhgac.grams``, see :mod:`.mappings`). A rule leaf on a gram field first
requires the needle's trigrams -- exact ``term`` lookups -- and only the few events that have
them all are verified by the exact query on doc values.

That prefilter must never drop an event the exact query matches, for every way a string is
matched (:mod:`alerting.detect.compile.elasticsearch.strings`): ASCII case folding (SQLite
``LIKE``, Elasticsearch ``case_insensitive``), Unicode folding (:func:`canhgac.text.fold`,
and the per-character fold classes of the Elasticsearch regexes) and exact code points
(``|cased``). Hence:

* an event's grams are the trigrams of :func:`gram_text` of each value: every character
  replaced by its own fold, ASCII kept and every non-ASCII character of the fold turned into a
  separator. A character whose fold is ASCII (``K`` Kelvin sign -> ``k``, ``ſ`` -> ``s``,
  ``ß`` -> ``ss``, ``ﬁ`` -> ``fi``, ``İ`` -> ``i`` + separator) keeps its letters. Folding
  character by character also covers ``fold`` of the whole value: across characters,
  normalization only composes letters into non-ASCII ones, and what it does to a single
  character (the Kelvin sign is ``K``) is part of that character's own fold;
* a needle's grams (:func:`needle_grams`) are the all-ASCII trigrams of its literal text as
  the exact query compares it (folded, or as written for ``|cased``), ASCII letters lowered.
  Non-ASCII characters give no grams: the filter is weaker there, never wrong.

Only ASCII trigrams are kept, so a gram is at most three bytes and every value contributes
at most one gram per character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from canhgac.store.elasticsearch.mappings import KEYWORD_MAX_CHARS
from canhgac.text import fold

GRAM_SIZE = 3
# A needle's grams are all implied by it, so any subset is a sound filter; beyond a dozen,
# more terms cost lookups without making the conjunction more selective.
MAX_NEEDLE_GRAMS = 12
# Stands for every non-ASCII character of a fold; any non-ASCII character would do.
_SEPARATOR = "\x80"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_MAX_CACHED = 1 << 16
# Values a later one is looked for in: the first few (event.original first) hold the others;
# comparing every pair of a hostile thousand-element array would not pay.
_MAX_CONTAINERS = 4


class _FoldTable(dict[int, str]):
    """``str.translate`` table: code point -> its fold with non-ASCII parts as separators,
    filled on first use (a stream of hostile code points stops growing it at the cap)."""

    def __missing__(self, point: int) -> str:
        folded = fold(chr(point))
        mapped = folded if folded.isascii() else _NON_ASCII.sub(_SEPARATOR, folded)
        if len(self) < _MAX_CACHED:
            self[point] = mapped
        return mapped


_FOLDS = _FoldTable()


def gram_text(value: str) -> str:
    """``value`` folded character by character; non-ASCII parts become a separator that no
    gram crosses (see module doc)."""
    if value.isascii():
        return value.lower()
    return value.translate(_FOLDS)


_SLICES = [slice(start, start + GRAM_SIZE) for start in range(KEYWORD_MAX_CHARS)]


def _trigrams(run: str) -> Iterable[str]:
    """The trigrams of ``run``, in order, with repeats."""
    count = len(run) - GRAM_SIZE + 1
    if count <= len(_SLICES):
        return map(run.__getitem__, _SLICES[: max(count, 0)])
    return [run[start : start + GRAM_SIZE] for start in range(count)]


def _runs(text: str) -> list[str]:
    """The all-ASCII runs of text folded like :func:`gram_text`."""
    return [text] if text.isascii() else text.split(_SEPARATOR)


def value_grams(value: str, into: set[str]) -> None:
    """Add the grams of one stored string to ``into``."""
    for run in _runs(gram_text(value)):
        into.update(_trigrams(run))


def document_grams(values: Iterable[str]) -> set[str]:
    """The grams of every stored string of an event's gram fields. A value inside another
    one (``message`` inside ``event.original``) adds nothing: folding character by
    character maps a substring to a substring."""
    grams: set[str] = set()
    seen: list[str] = []
    for value in values:
        if any(value in other for other in seen):
            continue
        if len(seen) < _MAX_CONTAINERS:
            seen.append(value)
        value_grams(value, grams)
    return grams


def indexed_strings(value: Any) -> Iterator[str]:
    """The strings Elasticsearch puts in a keyword field's doc values for a JSON ``value``:
    a string as is, a number or boolean as its JSON text, each element of an array."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif isinstance(value, int | float):
        # The JSON text the store writes (json's repr), which is what Elasticsearch keeps.
        yield float.__repr__(value) if isinstance(value, float) else int.__repr__(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from indexed_strings(item)


def needle_grams(segments: Iterable[str], limit: int = MAX_NEEDLE_GRAMS) -> list[str]:
    """Grams every value matching the literal ``segments`` (the text between wildcards, as
    the exact query compares it: folded, or as written for ``|cased``) must have: their
    all-ASCII trigrams, ASCII letters lowered like the stored side's. At most ``limit``, the
    most useful first, so that any first few are a good choice too: one every three
    characters (covering the needle, both ends first, then ever finer), then the rest."""
    covering: list[str] = []
    overlapping: list[str] = []
    for segment in segments:
        for run in _runs(_NON_ASCII.sub(_SEPARATOR, segment).lower()):
            grams = list(_trigrams(run))
            covering += grams[::GRAM_SIZE] + grams[-1:]
            overlapping += grams
    ordered = _coarse_to_fine(list(dict.fromkeys(covering)))
    return list(dict.fromkeys(ordered + overlapping))[:limit]


def _coarse_to_fine(items: list[str]) -> list[str]:
    """``items`` reordered: the ends, the middle, the quarters ..."""
    last = len(items) - 1
    picked = dict.fromkeys([0, last]) if last > 0 else dict.fromkeys(range(len(items)))
    parts = 2
    while len(picked) < len(items):
        for k in range(1, parts, 2):
            picked.setdefault(round(k * last / parts))
        parts *= 2
    return [items[i] for i in picked]
