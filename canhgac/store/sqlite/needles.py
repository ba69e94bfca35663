"""Needles: substrings every match of a search contains, looked for in many searches at once.

A Sigma rule compiled for SQLite is guarded by the needles its condition requires
(``doc LIKE '%needle%'``, :mod:`alerting.detect.compile.sqlite.prefilter`): a conjunction of
clauses, each "one of these LIKE patterns". SQLite runs each search's LIKEs on every row it
reads, so 128 rules over one window cost 128 scans of every document. Here the needles of all
the searches of a window go into one Aho-Corasick automaton (``ahocorasick_rs``, Rust) that
reads each document once and says which needles it contains; a search is then a *candidate*
for a row only if every one of its clauses has a pattern whose literal runs are all present.
That is a necessary condition, never a sufficient one: the search's own SQL decides.

Soundness: a LIKE pattern (``ESCAPE '\\'``) matches only if each of its literal runs between
wildcards occurs in the text. LIKE folds ASCII letters only, and the needles are ASCII, so the
document's bytes lowered by :meth:`bytes.lower` (ASCII only too) contain a run exactly when
LIKE would see it: UTF-8 writes every other character with bytes above 0x7F, which no ASCII
needle byte equals. Runs shorter than :data:`MIN_RUN` are dropped (they would match nearly
everywhere), which can only make more rows candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ahocorasick_rs import BytesAhoCorasick, Implementation

from canhgac.store.sqlite.rule_query import Pattern

MIN_RUN = 3


def literal_runs(pattern: Pattern) -> frozenset[bytes]:
    """The lowered literal runs of a LIKE pattern at least :data:`MIN_RUN` bytes long."""
    runs: list[str] = []
    current: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "%_":
            runs.append("".join(current))
            current = []
        else:
            current.append(char)
    runs.append("".join(current))
    encoded = (run.encode("utf-8").lower() for run in runs)
    return frozenset(run for run in encoded if len(run) >= MIN_RUN)


# A search's condition on the needles found: clauses that must all hold; a clause holds when
# one of its patterns (a set of runs, by number) is wholly found.
Condition = tuple[tuple[frozenset[int], ...], ...]


@dataclass(frozen=True, slots=True)
class NeedleSet:
    """The needles of several searches in one automaton, and what each search requires."""

    automaton: BytesAhoCorasick
    conditions: tuple[Condition, ...]
    # needle number -> the searches whose trigger clause names it (see triggered_by)
    triggers: tuple[tuple[int, ...], ...]
    # searches with no usable clause: a candidate for every row
    always: tuple[int, ...]

    def candidates(self, document: bytes) -> set[int]:
        """The searches (by number) ``document`` may match, found in one read of it."""
        found = {
            needle
            for needle, _, _ in self.automaton.find_matches_as_indexes(
                document.lower(), overlapping=True
            )
        }
        touched: set[int] = set(self.always)
        for needle in found:
            touched.update(self.triggers[needle])
        return {s for s in touched if _holds(self.conditions[s], found)}


def _holds(condition: Condition, found: set[int]) -> bool:
    return all(any(pattern <= found for pattern in clause) for clause in condition)


def needle_set(
    required: Sequence[tuple[frozenset[Pattern], ...]], sample: Sequence[bytes] = ()
) -> NeedleSet | None:
    """The automaton for searches requiring ``required`` (one entry per search), or None
    when none of them has a needle. ``sample`` (a few lowered documents) picks each search's
    trigger: the clause whose needles are rarest there, so a needle in every document (a
    Windows channel) does not wake every search on every row."""
    numbers: dict[bytes, int] = {}
    conditions: list[Condition] = []
    for clauses in required:
        condition: list[tuple[frozenset[int], ...]] = []
        for clause in clauses:
            patterns = [literal_runs(pattern) for pattern in clause]
            if any(not runs for runs in patterns):
                continue  # a pattern with no usable run: the clause can always hold
            condition.append(
                tuple(frozenset(numbers.setdefault(r, len(numbers)) for r in p) for p in patterns)
            )
        conditions.append(tuple(condition))
    if not numbers:
        return None
    needles = sorted(numbers, key=numbers.__getitem__)
    automaton = BytesAhoCorasick(needles, implementation=Implementation.DFA)
    frequency = _frequency(automaton, len(needles), sample)
    triggers: list[list[int]] = [[] for _ in needles]
    for search, wanted in enumerate(conditions):
        if wanted:
            for needle in {n for p in _rarest(wanted, frequency) for n in p}:
                triggers[needle].append(search)
    return NeedleSet(
        automaton=automaton,
        conditions=tuple(conditions),
        triggers=tuple(map(tuple, triggers)),
        always=tuple(s for s, wanted in enumerate(conditions) if not wanted),
    )


def _frequency(automaton: BytesAhoCorasick, needles: int, sample: Sequence[bytes]) -> list[int]:
    """In how many of the sample's documents each of the ``needles`` occurs."""
    counts = [0] * needles
    for document in sample:
        matches = automaton.find_matches_as_indexes(document, overlapping=True)
        for needle in {n for n, _, _ in matches}:
            counts[needle] += 1
    return counts


def _rarest(condition: Condition, frequency: Sequence[int]) -> tuple[frozenset[int], ...]:
    """The clause to wake the search by: any row the search matches contains one of its
    patterns' needles (each pattern is indexed by all its runs; one would do, all are no
    more than a few). Rarest in the sample first, then the fewest needles."""

    def weight(clause: tuple[frozenset[int], ...]) -> tuple[int, int]:
        return (
            sum(min(frequency[n] for n in pattern) for pattern in clause),
            sum(len(pattern) for pattern in clause),
        )

    return min(condition, key=weight)
