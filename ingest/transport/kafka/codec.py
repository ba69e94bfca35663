"""How events and dead letters look on Kafka topics (plain functions, no Kafka client).

- events topic: one message per event, value ``{"id": ..., "fields": {...}}`` as strict UTF-8
  JSON (no NaN, no ``\\u`` escapes for non-ASCII), key = the event's host (or, failing that,
  its file or dataset), so one host's events stay in one partition, in order.
- dead-letter topic: one message per dead letter, value ``{"id", "source", "reason", "raw"
  (base64), "received_at", "context"}``, key = its source.

Whatever a consumer reads may have been written by anyone with access to the topic, so
decoding checks the shape and reports a :class:`PoisonMessage` with the reason instead of
raising anything else.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, NoReturn

import orjson

from canhgac.models import DATASET, ORIGINAL, DeadLetter, Event, event_id
from canhgac.timeutil import now_iso

# Above this an event cannot go through Kafka as one message (brokers default to
# message.max.bytes of about 1 MiB, and compression may not help with hostile data);
# it becomes a dead letter carrying the start of the line instead.
MAX_MESSAGE_BYTES = 900_000
TRUNCATED_RAW_BYTES = 64 * 1024
# The fields tried, in order, for the partition key.
KEY_FIELDS = ("host.name", "observer.name", "log.file.path", DATASET)


class PoisonMessage(ValueError):
    """A message on a canhgac topic that is not what canhgac writes there."""


# Strict UTF-8 JSON: raw non-ASCII, no NaN or infinity (ValueError), nothing JSON has no type
# for (TypeError), no lone surrogate (UnicodeEncodeError). json.dumps is the definition.
_STRICT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# orjson writes the same bytes for str, int, bool, None, list, tuple and dict with str keys
# (see canhgac.text), several times faster: once per event on the way to Kafka. Whatever else
# it meets (subclasses, datetimes, ints beyond 64 bits, lone surrogates) it refuses, and a NaN
# it would write as null: those, and any document with a null, go through json.dumps. A float
# may be spelt differently (1e-05 as 1e-5): the same number to whoever reads it.
_FAST = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _refuse(value: Any) -> NoReturn:
    raise TypeError(type(value).__name__)


def _dumps(value: Any) -> bytes:
    try:
        data = orjson.dumps(value, default=_refuse, option=_FAST)
    except orjson.JSONEncodeError:
        data = None
    if data is None or b"null" in data:
        data = _STRICT.encode(value).encode("utf-8")
    return data


def encode_event(event: Event) -> bytes:
    """The message value; raises ValueError (or a subclass) if the event cannot be JSON."""
    value = _dumps({"id": event.id, "fields": event.fields})
    if len(value) > MAX_MESSAGE_BYTES:
        raise ValueError(f"event is {len(value)} bytes as JSON, over {MAX_MESSAGE_BYTES}")
    return value


def event_key(event: Event) -> bytes | None:
    for name in KEY_FIELDS:
        value = event.fields.get(name)
        if isinstance(value, str) and value:
            return value.encode("utf-8", "replace")
    return None


def unsendable(event: Event, reason: str) -> DeadLetter:
    """The dead letter for an event the sender cannot put on the topic."""
    original = event.fields.get(ORIGINAL)
    text = original if isinstance(original, str) else repr(event.fields)
    raw = text.encode("utf-8", "surrogateescape" if _escaped_only(text) else "replace")
    return DeadLetter(
        id=event.id,
        source=str(event.fields.get(DATASET) or "transport"),
        reason=f"cannot send the event through Kafka: {reason}",
        raw=raw[:TRUNCATED_RAW_BYTES],
        received_at=now_iso(),
        context={"stage": "transport", "event_id": event.id, "raw_bytes": len(raw)},
    )


def _escaped_only(text: str) -> bool:
    try:
        text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return True


def encode_dead_letter(letter: DeadLetter) -> bytes:
    doc = {
        "id": letter.id,
        "source": letter.source,
        "reason": letter.reason,
        "raw": base64.b64encode(letter.raw[: MAX_MESSAGE_BYTES // 2]).decode("ascii"),
        "received_at": letter.received_at,
        "context": letter.context,
    }
    try:
        return _dumps(doc)
    except (TypeError, ValueError):
        # A context or reason quoting hostile input (NaN, lone surrogates, bytes): keep it
        # as text.
        safe = {k: _printable(v) for k, v in doc.items() if k != "context"}
        return _dumps({**safe, "context": {"repr": _printable(letter.context)}})


def _printable(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text.encode("utf-8", "replace").decode("utf-8")


def dead_letter_key(letter: DeadLetter) -> bytes:
    return letter.source.encode("utf-8", "replace")


def decode_event(value: bytes | None) -> Event:
    doc = _loads(value)
    event_id_value, fields = doc.get("id"), doc.get("fields")
    if not isinstance(event_id_value, str) or not event_id_value:
        raise PoisonMessage("'id' is missing or not a non-empty string")
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        raise PoisonMessage("'fields' is missing or not an object")
    if not isinstance(fields.get("@timestamp"), str):
        raise PoisonMessage("'fields' has no '@timestamp' string")
    return Event(event_id_value, fields)


def decode_dead_letter(value: bytes | None) -> DeadLetter:
    doc = _loads(value)
    texts = {k: doc.get(k) for k in ("id", "source", "reason", "received_at")}
    missing = sorted(k for k, v in texts.items() if not isinstance(v, str))
    if missing:
        raise PoisonMessage(f"dead letter without string {', '.join(missing)}")
    context = doc.get("context", {})
    if not isinstance(context, dict):
        raise PoisonMessage("dead letter 'context' is not an object")
    try:
        raw = base64.b64decode(str(doc.get("raw", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PoisonMessage(f"dead letter 'raw' is not base64: {exc}") from None
    return DeadLetter(
        str(texts["id"]),
        str(texts["source"]),
        str(texts["reason"]),
        raw,
        str(texts["received_at"]),
        context,
    )


def _loads(value: bytes | None) -> Mapping[str, Any]:
    if value is None:
        raise PoisonMessage("message has no value")
    try:
        doc = json.loads(value.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PoisonMessage(f"message is not UTF-8: {exc}") from None
    except ValueError as exc:
        raise PoisonMessage(f"message is not JSON: {exc}") from None
    except RecursionError:
        raise PoisonMessage("message JSON is nested too deeply") from None
    if not isinstance(doc, dict):
        raise PoisonMessage(f"message is JSON {type(doc).__name__}, not an object")
    return doc


def poison_letter(
    topic: str, partition: int, offset: int, value: bytes | None, reason: str
) -> DeadLetter:
    """The dead letter for an unreadable message; its id is its place in the log, so reading
    it again (after a crash before the commit) stores it once."""
    return DeadLetter(
        id=event_id(f"kafka:{topic}:{partition}", offset),
        source=f"kafka:{topic}",
        reason=f"unreadable Kafka message: {reason}",
        raw=value or b"",
        received_at=now_iso(),
        context={"topic": topic, "partition": partition, "offset": offset},
    )
