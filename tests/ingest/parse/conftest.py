"""Fixtures for the parser tests. Tests run with --import-mode=importlib, so the helpers are
fixtures returning functions. Every origin is "received" at 2024-03-05T08:00:00Z, which is
15:00 in Hanoi."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from canhgac.models import DeadLetter, Event
from ingest.parse.base import Origin
from ingest.parse.record import to_record

RECEIVED_AT = "2024-03-05T08:00:00.000000Z"

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]


def _origin(parser: str = "auto", **options: Any) -> Origin:
    options.setdefault("received_at", RECEIVED_AT)
    return Origin(source="test", identity="test:1", parser=parser, **options)


def _record(line: str | bytes, parser: str, options: dict[str, Any]) -> Event | DeadLetter:
    raw = line.encode() if isinstance(line, str) else line
    return to_record(raw, _origin(parser, **options), 7)


@pytest.fixture
def make_origin() -> OriginFactory:
    return _origin


@pytest.fixture
def event_fields() -> EventFields:
    """Run the whole record path (bytes -> Event) and return the fields."""

    def run(line: str | bytes, parser: str = "auto", **options: Any) -> dict[str, Any]:
        result = _record(line, parser, options)
        assert isinstance(result, Event), getattr(result, "reason", result)
        return result.fields

    return run


@pytest.fixture
def dead_letter() -> DeadLetterOf:
    def run(line: str | bytes, parser: str, **options: Any) -> DeadLetter:
        result = _record(line, parser, options)
        assert isinstance(result, DeadLetter), result
        return result

    return run
