"""Replay dead letters through the current parsers and configuration.

After a parser fix or a configuration correction (a source's ``parser``, ``encoding`` or
``dataset``), stored dead letters are parsed again from their raw bytes as their source is
configured now:

- a letter that parses becomes an event with the letter's own id (the id its record had all
  along), is written, and only then deleted from the dead letters: a replay interrupted in
  between, or run twice, stores the event once;
- a letter that fails again stays, with the new reason (and ``replayed_at`` in its context);
- a letter is skipped when its source is no longer configured, or when its raw bytes are
  not the whole record (a line cut at ``max_line_bytes``, an event the store or the
  transport refused: see :data:`canhgac.dead_letters.NOT_REPLAYABLE`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from canhgac.config import SourceBase
from canhgac.dead_letters import NOT_REPLAYABLE, DeadLetterQuery, reason_class
from canhgac.models import DeadLetter, Event
from canhgac.store.base import Store
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record


@dataclass
class ReplayOutcome:
    parsed: int = 0  # letters that became events (and were removed from the dead letters)
    stored: int = 0  # of those, events not already stored
    failed: int = 0  # letters that failed again, kept with the new reason
    skipped: Counter[str] = field(default_factory=Counter)  # why -> letters


def replay(store: Store, sources: Sequence[SourceBase], query: DeadLetterQuery) -> ReplayOutcome:
    """Replay every dead letter matching ``query``, page by page (``query.limit`` each)."""
    configured = {source.name: source for source in sources}
    outcome = ReplayOutcome()
    for letters in _pages(store, query):
        events: list[Event] = []
        failed: list[DeadLetter] = []
        for letter in letters:
            why_not = _not_replayable(letter, configured)
            if why_not is not None:
                outcome.skipped[why_not] += 1
                continue
            record = reparse(letter, configured[letter.source])
            if isinstance(record, Event):
                events.append(record)
            else:
                failed.append(record)
        if events:
            outcome.stored += store.write_events(events)
            store.delete_dead_letters([event.id for event in events])
        store.replace_dead_letters(failed)
        outcome.parsed += len(events)
        outcome.failed += len(failed)
    return outcome


def reparse(letter: DeadLetter, source: SourceBase) -> Event | DeadLetter:
    """The letter's raw bytes parsed as ``source`` is configured now: an event with the
    letter's id, or the letter with the new reason."""
    context = letter.context
    origin = Origin(
        source=letter.source,
        identity=str(context.get("identity", f"replay:{letter.source}")),
        received_at=letter.received_at,
        parser=source.parser,
        encoding=source.encoding,
        dataset=source.dataset,
        timezone=source.timezone,
        year=source.year,
        peer=context.get("peer") if isinstance(context.get("peer"), str) else None,
    )
    record = to_record(letter.raw, origin, 0)
    if isinstance(record, Event):
        record.id = letter.id
        return record
    replayed = {**context, "parser": source.parser, "replayed_at": now_iso()}
    return replace(letter, reason=record.reason, context=replayed)


def _not_replayable(letter: DeadLetter, configured: Mapping[str, SourceBase]) -> str | None:
    kind = reason_class(letter.reason)
    if kind in NOT_REPLAYABLE:
        return f"{kind}: the raw bytes are not the whole record"
    if letter.source not in configured:
        return f"source {letter.source!r} is not configured"
    return None


def _pages(store: Store, query: DeadLetterQuery) -> Iterator[list[DeadLetter]]:
    while True:
        page = store.find_dead_letters(query)
        if page.letters:
            yield page.letters
        if page.after is None:
            return
        query = replace(query, after=page.after)
