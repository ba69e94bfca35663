"""The Kafka message format: round trips, keys, and what cannot be sent."""

from __future__ import annotations

import pytest

from canhgac.models import DeadLetter, Event
from ingest.transport.kafka.codec import (
    PoisonMessage,
    decode_dead_letter,
    decode_event,
    encode_dead_letter,
    encode_event,
    event_key,
    unsendable,
)


def test_event_round_trip_keeps_vietnamese_as_raw_utf8() -> None:
    event = Event(
        "abc",
        {
            "@timestamp": "2026-11-27T10:00:00.000000Z",
            "user.name": "nguyễn.văn.an",
            "process.pid": 42,
            "tags": ["hà-nội"],
        },
    )
    value = encode_event(event)
    assert "nguyễn".encode() in value and b"\\u" not in value
    assert decode_event(value) == event


def test_dead_letter_round_trip_keeps_raw_bytes() -> None:
    letter = DeadLetter(
        "d", "file:/x", "quá dài", b"\x00\xff\xfe", "2026-11-27T10:00:00Z", {"n": 1}
    )
    assert decode_dead_letter(encode_dead_letter(letter)) == letter


def test_dead_letter_with_hostile_context_is_still_sendable() -> None:
    context = {"v": float("nan"), "peer": b"\x00"}
    letter = DeadLetter("d", "udp", "bad \udcff", b"x", "2026-11-27T10:00:00Z", context)
    back = decode_dead_letter(encode_dead_letter(letter))
    assert back.raw == b"x" and back.id == "d"
    assert "nan" in back.context["repr"]


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"host.name": "web-01", "log.file.path": "/var/log/a"}, b"web-01"),
        ({"log.file.path": "/var/log/a", "event.dataset": "nginx.access"}, b"/var/log/a"),
        ({"event.dataset": "nginx.access"}, b"nginx.access"),
        ({}, None),
    ],
)
def test_key_keeps_one_host_in_one_partition(fields: dict[str, str], key: bytes | None) -> None:
    assert event_key(Event("x", {"@timestamp": "t", **fields})) == key


def test_lone_surrogates_cannot_be_sent_and_keep_their_bytes_as_a_dead_letter() -> None:
    line = b"user=\xff\xfe".decode("utf-8", "surrogateescape")
    event = Event("e", {"@timestamp": "t", "event.original": line, "event.dataset": "app"})
    with pytest.raises(ValueError):
        encode_event(event)
    letter = unsendable(event, "broken text")
    assert letter.raw == b"user=\xff\xfe"
    assert letter.id == "e" and letter.source == "app"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"[1, 2]", "not an object"),
        (b'{"id": "", "fields": {"@timestamp": "t"}}', "'id' is missing"),
        (b'{"id": "x", "fields": {"a": 1}}', "no '@timestamp'"),
        (b"[" * 100_000, "JSON"),
    ],
)
def test_malformed_events_are_poison(value: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode_event(value)
