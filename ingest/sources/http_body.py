"""Turn an HTTP request body (JSON or NDJSON) into records, one per JSON object.

Each object is re-serialized on its own (compact UTF-8 JSON), so the parser receives exactly
one JSON document per record. Record positions are ``<request key>:<index>``, the request key
made by the caller from the digest of those re-serialized records (:attr:`DecodedBody.digest`,
the same however the client spaced its JSON), so a retried request yields the same ids and the
store keeps one copy, and a different body can never get the ids of another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from canhgac.models import DeadLetter, Event, event_id
from canhgac.text import dumps
from ingest.parse.base import Origin
from ingest.parse.cloud_record import envelope_items
from ingest.parse.record import to_record


@dataclass(slots=True)
class DecodedBody:
    events: list[Event] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    # Set when the body as a whole is unusable (answered with 400); ``dead_letters`` then
    # holds the whole body, so nothing is silently lost.
    error: str | None = None
    line: int | None = None
    # Of the records as re-serialized: a request's identity, whatever its spacing.
    digest: str = ""

    def add(self, record: Event | DeadLetter) -> None:
        if isinstance(record, Event):
            self.events.append(record)
        else:
            self.dead_letters.append(record)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads(data: bytes) -> Any:
    return json.loads(data, parse_constant=_reject_constant)


def _problem(exc: Exception, data: bytes) -> tuple[str, int]:
    """A short reason and the 1-based line it refers to."""
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid JSON: not UTF-8 ({exc.reason})", data.count(b"\n", 0, exc.start) + 1
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply", 1
    return f"invalid JSON: {exc}", 1


#: Makes a request's key from the digest of its records.
KeyFor = Callable[[str], str]


class _Builder:
    """Records of one request: collected first, then positioned under its key, which
    depends on all of them."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.body = DecodedBody()
        self._hash = hashlib.blake2b(digest_size=16)
        # (raw, position, reason): an object to parse when reason is None, else a dead letter
        self._pending: list[tuple[bytes, str, str | None]] = []

    def object(self, value: dict[str, Any], index: int) -> None:
        self._collect(dumps(value).encode("utf-8"), str(index), None)

    def dead(self, raw: bytes, reason: str, position: str) -> None:
        self._collect(raw, position, reason)

    def _collect(self, raw: bytes, position: str, reason: str | None) -> None:
        self._hash.update(b"%d:%s\n" % (len(raw), raw))
        self._pending.append((raw, position, reason))

    def reject(self, raw: bytes, reason: str, line: int) -> None:
        self.dead(raw, reason, "body")
        self.body.error, self.body.line = reason, line

    def build(self, key_for: KeyFor) -> DecodedBody:
        self.body.digest = self._hash.hexdigest()
        key = key_for(self.body.digest)
        for raw, position, reason in self._pending:
            if reason is None:
                self.body.add(to_record(raw, self.origin, f"{key}:{position}"))
            else:
                self.body.add(self._dead_letter(raw, reason, f"{key}:{position}"))
        return self.body

    def _dead_letter(self, raw: bytes, reason: str, position: str) -> DeadLetter:
        return DeadLetter(
            id=event_id(self.origin.identity, position),
            source=self.origin.source,
            reason=reason,
            raw=raw,
            received_at=self.origin.received_at,
            context={"identity": self.origin.identity, "peer": self.origin.peer},
        )


def decode_json(body: bytes, origin: Origin, key_for: KeyFor) -> DecodedBody:
    """One JSON object, or an array of objects (other elements become dead letters), or a
    cloud export envelope of them for the cloud parsers."""
    builder = _Builder(origin)
    try:
        value = _loads(body)
    except (ValueError, RecursionError) as exc:
        reason, line = _problem(exc, body)
        builder.reject(body, reason, line)
        return builder.build(key_for)
    if isinstance(value, dict):
        # A cloud export envelope ({"Records": [...]}) is an array of records too.
        value = envelope_items(origin.parser, value) or value
    if isinstance(value, dict):
        builder.object(value, 0)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                builder.object(item, index)
            else:
                raw = dumps(item).encode("utf-8")
                builder.dead(raw, f"array element {index} is not a JSON object", str(index))
    else:
        builder.reject(body, "expected a JSON object or an array of objects", 1)
    return builder.build(key_for)


def decode_ndjson(body: bytes, origin: Origin, key_for: KeyFor) -> DecodedBody:
    """One JSON object per line; a bad line becomes a dead letter, the others are kept."""
    builder = _Builder(origin)
    for index, line in enumerate(body.split(b"\n")):
        text = line.strip(b" \t\r")
        if not text:
            continue
        try:
            value = _loads(text)
        except (ValueError, RecursionError) as exc:
            reason, _ = _problem(exc, text)
            builder.dead(line, f"line {index + 1}: {reason}", str(index))
            continue
        if isinstance(value, dict):
            builder.object(value, index)
        else:
            builder.dead(line, f"line {index + 1}: not a JSON object", str(index))
    return builder.build(key_for)
