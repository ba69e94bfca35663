"""Event search for hunting, the store's side: pages newest first by ``@timestamp`` (keyset
paging, never an offset), an exact count and a histogram of hits over time.

The query comes compiled for the store's language, like detection's: for SQLite a
:class:`SqlCondition` (SQL text with ``?`` placeholders and its parameters: values typed by an
analyst are always bound, never pasted into the SQL), for Elasticsearch a query DSL dict.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from canhgac.models import Event


@dataclass(frozen=True, slots=True)
class SqlCondition:
    """A WHERE condition over the events table and the values bound to its placeholders."""

    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class HuntRequest:
    """A compiled query over events whose ``@timestamp`` is in ``[start, end)`` (UTC ISO)."""

    query: Any
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class HuntPage:
    """Matching events newest first; ``after`` (opaque to callers) resumes after the last."""

    events: list[Event]
    after: tuple[str, str] | None


class EventHunt(Protocol):
    """What the search page asks of a store."""

    @abstractmethod
    def page(self, request: HuntRequest, after: tuple[str, str] | None, limit: int) -> HuntPage:
        """One page, newest ``@timestamp`` first (ties by id)."""

    @abstractmethod
    def oldest(self, request: HuntRequest) -> Event | None:
        """The matching event with the oldest ``@timestamp`` (first seen), if any."""

    @abstractmethod
    def count(self, request: HuntRequest) -> int:
        """How many events match, exactly."""

    @abstractmethod
    def histogram(self, request: HuntRequest, bucket_seconds: int) -> Sequence[tuple[str, int]]:
        """Hits per bucket of ``bucket_seconds`` aligned on the Unix epoch: (bucket start as
        UTC ISO, count), oldest first; empty buckets may be left out."""

    @abstractmethod
    def address_condition(self, fields: Sequence[str], address: str) -> Any | None:
        """A query, in the store's language, for the events where any of ``fields`` holds the
        IP address ``address``: the same events as the search language's quoted
        ``field:"address"`` joined by OR, read a faster way. None when the store has no faster
        way (the caller compiles the search text)."""
