"""Dead letters as something to act on: their reason classes, queries, and what replays them.

A dead letter's ``reason`` is free text (it may quote the record); its *class* is a short
name for what went wrong, derived from how the reason starts, so metrics have few label
values and ``canhgac deadletters list --reason`` has something to filter on. Both stores
filter by class with the same prefix rules (:func:`class_filter`), so nothing new is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from canhgac.models import DeadLetter

#: Reason prefix -> class, first match wins; a reason matching none is a parse error.
REASON_CLASSES: tuple[tuple[str, str], ...] = (
    ("binary data", "binary"),
    ("line exceeds", "too_long"),
    ("frame exceeds", "too_long"),
    ("connection closed mid-frame", "framing"),
    ("malformed octet count", "framing"),
    ("unknown parser", "config"),
    ("unknown encoding", "config"),
    ("unknown timezone", "config"),
    ("parser ", "parser_crash"),  # "parser nginx failed: ValueError: ..."
    ("invalid JSON", "json"),
    ("expected a JSON object", "json"),
    ("array element", "json"),
    ("line ", "json"),  # "line 3: not a JSON object" (JSON lines bodies)
    ("Elasticsearch rejected", "store_rejected"),
    ("cannot send the event through Kafka", "transport"),
    ("unreadable Kafka message", "poison"),
)
PARSE = "parse"
CLASSES: tuple[str, ...] = tuple(dict.fromkeys([*(c for _, c in REASON_CLASSES), PARSE]))

#: Classes whose raw bytes are not the whole record as received (cut at a size limit, a
#: frame cut short, an event already parsed): replaying them would store less than was sent.
NOT_REPLAYABLE = frozenset({"too_long", "framing", "store_rejected", "transport", "poison"})


def reason_class(reason: str) -> str:
    for prefix, kind in REASON_CLASSES:
        if reason.startswith(prefix):
            return kind
    return PARSE


@dataclass(frozen=True, slots=True)
class PrefixMatch:
    """Reasons starting with ``prefix`` and with none of ``unless``."""

    prefix: str
    unless: tuple[str, ...]


def class_filter(kind: str) -> list[PrefixMatch]:
    """The reasons of class ``kind``, as alternatives a store can query; raises ValueError
    for an unknown class."""
    if kind not in CLASSES:
        raise ValueError(f"unknown reason class {kind!r}; known: {', '.join(CLASSES)}")
    if kind == PARSE:
        return [PrefixMatch("", tuple(prefix for prefix, _ in REASON_CLASSES))]
    matches = []
    for index, (prefix, owner) in enumerate(REASON_CLASSES):
        # A reason starting with an earlier prefix belongs to that prefix's class.
        earlier = [p for p, k in REASON_CLASSES[:index] if k != kind]
        if owner == kind and not any(prefix.startswith(p) for p in earlier):
            matches.append(PrefixMatch(prefix, tuple(p for p in earlier if p.startswith(prefix))))
    return matches


@dataclass(frozen=True, slots=True)
class DeadLetterQuery:
    """Dead letters oldest first (by ``received_at``, then id), filtered; ``after`` resumes
    after the last one of the previous page."""

    source: str | None = None
    reason: str | None = None  # a class of REASON_CLASSES
    since: str | None = None  # canonical UTC time, inclusive
    after: tuple[str, str] | None = None  # (received_at, id)
    limit: int = 100

    def __post_init__(self) -> None:
        if self.reason is not None:
            class_filter(self.reason)  # refuse an unknown class before any store sees it


@dataclass(frozen=True, slots=True)
class DeadLetterPage:
    letters: list[DeadLetter]
    after: tuple[str, str] | None  # None: this was the last page


def page_of(letters: Sequence[DeadLetter], limit: int) -> DeadLetterPage:
    """A page from up to ``limit`` letters a store found in query order."""
    found = list(letters)
    last = found[-1] if len(found) >= limit and found else None
    return DeadLetterPage(found, (last.received_at, last.id) if last else None)
