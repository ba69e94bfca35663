"""Case-insensitive matching of non-ASCII Sigma strings, as Lucene regexes.

The SQLite store compares :func:`canhgac.text.fold` of the stored value (NFC, then Unicode
case folding, then NFC) with the folded rule value. A Lucene regex cannot fold the stored side,
so each folded character of the rule value becomes an alternation of every stored spelling
that folds to it:

* every character whose fold is that character (``ễ`` -> ``[ễỄ]``, ``s`` -> ``[sSſ]``);
* the canonically equivalent decomposed spellings of those (``e`` + U+0302 + U+0303, or ``ê``
  + U+0303): stored text should be NFC, but the SQLite store's fold normalizes whatever it
  gets, so a decomposed value stored by some source must match here too;
* a character whose fold is several characters, wherever its whole fold appears in the value
  (``ss`` -> ``(ss|ß|ẞ)``).

Not covered: a Sigma ``?`` or a match edge falling *inside* such a multi-character fold or a
decomposed spelling (SQLite compares folded NFC text, character by character).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from functools import lru_cache

from alerting.detect.compile.elasticsearch.charsets import (
    CharSet,
    escape_text,
    merge,
    render,
    universe,
)
from canhgac.text import fold

# Characters decomposing into more marks than this keep their composed spellings only.
_MAX_MARKS = 3


def canonical_spellings(char: str) -> set[str]:
    """``char`` and the strings canonically equivalent to it: fully decomposed, partly
    composed, and with marks of different combining classes in another order."""
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[:1], decomposed[1:]
    found = {char}
    if not marks or len(marks) > _MAX_MARKS:
        return found
    for order in set(itertools.permutations(marks)):
        for split in range(len(order) + 1):
            head = unicodedata.normalize("NFC", base + "".join(order[:split]))
            spelling = head + "".join(order[split:])
            if len(head) == 1 and unicodedata.normalize("NFC", spelling) == char:
                found.add(spelling)
    return found


def _points(ranges: CharSet) -> list[int]:
    return [point for low, high in ranges for point in range(low, high + 1)]


class FoldTable:
    """Which stored characters fold to a given text, and their regexes (cached)."""

    def __init__(self) -> None:
        single: dict[str, set[int]] = defaultdict(set)
        multi: dict[str, set[int]] = defaultdict(set)
        # Only characters that casefold to something else can fold to another text; the
        # scan for them runs in C, the rest of the work is on about 1,500 characters.
        changing = [c for _, text in universe() for c in text if c.casefold() != c]
        for char in changing:
            if not unicodedata.is_normalized("NFC", char):
                continue  # stored text is NFC: such a character is never stored as itself
            folded = fold(char)
            if len(folded) == 1:
                single[folded].update((ord(char), ord(folded)))
            else:
                multi[folded].add(ord(char))
        self.single = {key: merge(points) for key, points in single.items()}
        self.multi = {key: merge(points) for key, points in multi.items()}
        self.longest_multi = max(map(len, self.multi), default=1)
        self._atoms: dict[str, str] = {}

    def atom(self, folded_char: str) -> str:
        """A Lucene regex matching every stored spelling that folds to ``folded_char``."""
        cached = self._atoms.get(folded_char)
        if cached is not None:
            return cached
        members = _points(self.single.get(folded_char, ((ord(folded_char),) * 2,)))
        # Decomposed spellings grouped by what follows their first character, so the heads
        # share a class: [aA] + U+0309 instead of a+U+0309|A+U+0309.
        heads: dict[str, list[int]] = defaultdict(list)
        for point in members:
            for spelling in canonical_spellings(chr(point)) - {chr(point)}:
                heads[spelling[1:]].append(ord(spelling[0]))
        alternatives = [render(merge(members)) or ""]
        alternatives += [
            f"{render(merge(h)) or ''}{escape_text(t)}" for t, h in sorted(heads.items())
        ]
        atom = alternatives[0] if len(alternatives) == 1 else "(" + "|".join(alternatives) + ")"
        self._atoms[folded_char] = atom
        return atom

    def regex(self, folded: str) -> str:
        """A Lucene regex matching stored text whose fold is ``folded`` (see module doc)."""
        out: list[str] = []
        index = 0
        while index < len(folded):
            for size in range(min(self.longest_multi, len(folded) - index), 1, -1):
                piece = folded[index : index + size]
                whole = render(self.multi.get(piece, ()))
                if whole is not None:
                    out.append(f"({''.join(map(self.atom, piece))}|{whole})")
                    index += size
                    break
            else:
                out.append(self.atom(folded[index]))
                index += 1
        return "".join(out)

    def is_literal(self, folded: str) -> bool:
        """Whether only ``folded`` itself folds to ``folded`` (no case, no decomposition)."""
        return self.regex(folded) == escape_text(folded)


@lru_cache(maxsize=1)
def fold_table() -> FoldTable:
    """Built on first use (a fraction of a second): only non-ASCII rule values need it."""
    return FoldTable()
