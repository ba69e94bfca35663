"""Join the records of one kernel audit event into one event.

The kernel writes one syscall as SYSCALL, EXECVE, PROCTITLE, CWD, PATH..., SOCKADDR records
and ends it with EOE; they share ``msg=audit(<time>:<serial>)``. Read one by one, the
executable (SYSCALL ``exe``) and the command line (EXECVE) land on two events and no
process_creation rule can see both. :class:`AuditJoiner` holds the records of an event,
keyed by (source, host, time, serial) since records of several events and several hosts
interleave on one stream, until

- EOE arrives: the event is complete at once;
- ``timeout`` seconds pass after its first record: the event is emitted as it is, marked
  ``hanoi.auditd.partial`` (its last records were lost, or the sender does not forward EOE);
- :meth:`drain` (the source stops): everything held is emitted, partial.

Records of user-space messages (USER_LOGIN, ADD_USER...) are whole events on their own and
are not held. The joiner is plain state with no threads or clock of its own beyond
``clock``; :mod:`ingest.sources.audit_joining` runs it between a source and its transport.
Each held record carries a ``token`` of the caller's (the batch it came in), handed back with
the joined event so the caller can acknowledge the batch only once all its records are out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from canhgac.health.fields import ADDRESS_FIELD, HOST_FIELD, SOURCE_FIELD
from canhgac.models import Event
from ingest.parse.auditd import DATASET, JOINED, PREFIX, record_values
from ingest.parse.auditd_event import Record, event_fields, syscall_name

T = TypeVar("T", bound=Hashable)

#: Records the kernel writes for one syscall; only these are joined.
KERNEL_RECORDS = frozenset(
    ("SYSCALL", "EXECVE", "PROCTITLE", "CWD", "PATH", "SOCKADDR", "EOE", "FD_PAIR", "MMAP")
)
_MAIN_TYPES = ("SYSCALL", "EXECVE")
# SigmaHQ auditd rules select a record type (type: EXECVE with a0, a1...; type: SYSCALL with
# exe); a joined event is all of its types: hanoi.auditd.record_type is the main one and
# hanoi.auditd.joined.<type> = "<TYPE>" each other one (JOINED); the pipeline maps Sigma's
# type to all of these fields ("either").
_TYPE = PREFIX + "record_type"
# Fields a record's parse derived from its own content: rebuilt from all records on joining.
_DERIVED_PREFIXES = (
    PREFIX, "process.", "user.", "group.", "file.", "destination.", "network.", "event.category",
    "event.type", "event.outcome", "event.action",
)  # fmt: skip

Key = tuple[Any, ...]


@dataclass
class _Open(Generic[T]):
    opened_at: float
    events: list[Event] = field(default_factory=list)
    tokens: list[T] = field(default_factory=list)


@dataclass(frozen=True)
class Joined(Generic[T]):
    """A joined event and the tokens of the records it was made of."""

    event: Event
    tokens: tuple[T, ...]


def is_joinable(event: Event) -> bool:
    fields = event.fields
    return (
        fields.get("event.module") == "auditd"
        and fields.get(_TYPE) in KERNEL_RECORDS
        and PREFIX + "sequence" in fields
    )


def _key(fields: dict[str, Any]) -> Key:
    host = fields.get(PREFIX + "node") or fields.get(HOST_FIELD) or fields.get(ADDRESS_FIELD)
    return (
        fields.get(SOURCE_FIELD),
        host,
        fields.get("@timestamp"),
        fields.get(PREFIX + "sequence"),
    )


class AuditJoiner(Generic[T]):
    def __init__(
        self,
        timeout: float = 2.0,
        *,
        max_open: int = 10_000,
        max_records: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self._max_open = max_open  # a flood of never-ending events cannot fill memory
        self._max_records = max_records
        self._clock = clock
        self._open: dict[Key, _Open[T]] = {}  # insertion order = age order

    def __len__(self) -> int:
        return len(self._open)

    def add(self, event: Event, token: T) -> list[Joined[T]]:
        """Hold ``event`` (one kernel record); returns the events this completes."""
        key = _key(event.fields)
        held = self._open.get(key)
        if held is None:
            held = self._open[key] = _Open(self._clock())
        held.events.append(event)
        held.tokens.append(token)
        done: list[Joined[T]] = []
        if event.fields.get(_TYPE) == "EOE" or len(held.events) >= self._max_records:
            del self._open[key]
            done.append(_joined(held, partial=False))
        while len(self._open) > self._max_open:
            oldest = next(iter(self._open))
            done.append(_joined(self._open.pop(oldest), partial=True))
        return done

    def expire(self) -> list[Joined[T]]:
        """The events whose first record is older than ``timeout``, as they are."""
        limit = self._clock() - self.timeout
        done: list[Joined[T]] = []
        for key in [k for k, held in self._open.items() if held.opened_at <= limit]:
            done.append(_joined(self._open.pop(key), partial=True))
        return done

    def drain(self) -> list[Joined[T]]:
        """Everything held, partial (the source is stopping)."""
        done = [_joined(held, partial=True) for held in self._open.values()]
        self._open.clear()
        return done


def _joined(held: _Open[T], *, partial: bool) -> Joined[T]:
    return Joined(join_records(held.events, partial=partial), tuple(held.tokens))


def join_records(events: list[Event], *, partial: bool = False) -> Event:
    """One event from the parsed records of one audit event (in arrival order). The id is
    the first record's, so re-reading the same lines yields the same event."""
    first = events[0]
    fields = {k: v for k, v in first.fields.items() if not k.startswith(_DERIVED_PREFIXES)}
    records: list[Record] = []
    for event in events:
        kind = str(event.fields.get(_TYPE))
        if kind != "EOE":
            records.append((kind, record_values(event.fields)))
    records = records or [("EOE", {})]  # an EOE whose records were all lost
    kinds = [kind for kind, _ in records]
    main = next((k for k in _MAIN_TYPES if k in kinds), kinds[0])
    # The main record's pairs win a name clash (SYSCALL's a0 is a register, EXECVE's the
    # first argument, so EXECVE's come first), then the others in arrival order.
    ordered = sorted(records, key=lambda r: (r[0] != "EXECVE", r[0] != "SYSCALL"))
    for _, values in ordered:
        for name, value in values.items():
            fields.setdefault(PREFIX + name, value)
    fields[_TYPE] = main
    for kind in kinds:
        if kind != main:
            fields[JOINED + kind.lower()] = kind
    fields[PREFIX + "sequence"] = first.fields.get(PREFIX + "sequence")
    if (node := first.fields.get(PREFIX + "node")) is not None:
        fields[PREFIX + "node"] = node
    fields[PREFIX + "record_types"] = " ".join(kinds)
    fields["event.dataset"] = first.fields.get("event.dataset", DATASET)
    syscall = next((values for kind, values in records if kind == "SYSCALL"), {})
    fields["event.action"] = syscall_name(syscall) or main.lower()
    event_fields(fields, records)
    if partial:
        fields[PREFIX + "partial"] = True
    fields["event.original"] = "\n".join(str(e.fields.get("event.original", "")) for e in events)
    return Event(first.id, fields)
