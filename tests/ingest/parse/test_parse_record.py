"""to_record and decode: bytes -> Event or DeadLetter, encodings and Unicode normalisation."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.models import DeadLetter, Event, event_id
from canhgac.registry import Registry
from ingest.parse.base import Origin
from ingest.parse.record import decode, is_binary, to_record

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]


def test_event_id_and_common_fields(make_origin: OriginFactory) -> None:
    origin = make_origin("auth")
    line = b"Mar  5 14:02:11 web01 sshd[1]: Invalid user a from 10.0.0.1 port 2\r\n"
    result = to_record(line, origin, 4096)
    assert isinstance(result, Event)
    assert result.id == event_id("test:1", 4096)
    assert result.fields["event.original"] == line.decode().rstrip("\r\n")
    assert result.fields["event.kind"] == "event"
    assert result.timestamp == "2024-03-05T07:02:11.000000Z"
    assert "log.encoding_errors" not in result.fields


def test_windows_1258_vietnamese_is_nfc_equal_to_utf8(event_fields: EventFields) -> None:
    # Windows-1258 writes "ễ" as "ê" (0xEA) followed by a combining tilde (0xDE).
    raw = b"Mar  5 14:02:11 pc01 app: Nguy\xea\xden V\xe3n An \xf0\xe3ng nh\xe2\xf2p"
    fields = event_fields(raw, "rfc3164", encoding="windows-1258")
    assert fields["message"] == "Nguyễn Văn An đăng nhập"
    assert fields["message"].encode() == "Nguyễn Văn An đăng nhập".encode()
    assert unicodedata.is_normalized("NFC", fields["event.original"])
    assert "log.encoding_errors" not in fields


def test_nfd_input_is_normalised(event_fields: EventFields) -> None:
    nfd = unicodedata.normalize("NFD", "Trần Thị Bình")
    assert nfd != "Trần Thị Bình"
    fields = event_fields(f"Mar  5 14:02:11 pc01 app: {nfd}".encode(), "rfc3164")
    assert fields["message"] == "Trần Thị Bình"
    assert fields["event.original"] == "Mar  5 14:02:11 pc01 app: Trần Thị Bình"


def test_invalid_utf8_is_replaced_and_flagged(event_fields: EventFields) -> None:
    fields = event_fields(b"Mar  5 14:02:11 web01 app: caf\xe9 \xff ok", "rfc3164")
    assert fields["message"] == "caf\ufffd \ufffd ok"
    assert fields["log.encoding_errors"] is True


def test_nul_bytes_are_replaced_and_flagged(event_fields: EventFields) -> None:
    fields = event_fields(
        b"Mar  5 14:02:11 web01 sshd[1]: Invalid user ad\x00min from 10.0.0.1 port 2", "auth"
    )
    assert fields["user.name"] == "ad\ufffdmin"
    assert fields["log.encoding_errors"] is True


def test_byte_order_mark_at_line_start_is_dropped(event_fields: EventFields) -> None:
    fields = event_fields(b'\xef\xbb\xbf{"message": "x"}', "json")
    assert fields["message"] == "x"
    assert fields["event.original"] == '{"message": "x"}'


def test_binary_garbage_is_a_dead_letter(dead_letter: DeadLetterOf) -> None:
    raw = bytes(range(256)) * 4
    letter = dead_letter(raw, "auto")
    assert letter.reason == "binary data: not a text log record"
    assert letter.raw == raw
    assert (letter.source, letter.received_at) == ("test", "2024-03-05T08:00:00.000000Z")
    assert letter.context == {"parser": "auto", "identity": "test:1"}


def test_parse_error_becomes_a_dead_letter_with_the_reason(dead_letter: DeadLetterOf) -> None:
    letter = dead_letter(b"not json", "json")
    assert letter.reason.startswith("invalid JSON: Expecting value")
    assert letter.id == event_id("test:1", 7)


def test_unknown_parser_and_encoding_are_dead_letters(dead_letter: DeadLetterOf) -> None:
    assert dead_letter(b"x", "nope").reason.startswith("unknown parser 'nope'; known parsers: ")
    assert dead_letter(b"x", "raw", encoding="klingon").reason == (
        "unknown encoding 'klingon' in the source configuration"
    )


def test_unexpected_exception_is_contained(make_origin: OriginFactory) -> None:
    def explode(text: str, origin: Origin) -> dict[str, Any]:
        raise ZeroDivisionError("boom " + "x" * 1000)

    result = to_record(
        b"anything", make_origin("explode"), 1, parsers=Registry("parser", {"explode": explode})
    )
    assert isinstance(result, DeadLetter)
    assert result.reason.startswith("parser explode failed: ZeroDivisionError: boom xxx")
    assert len(result.reason) == 300


def test_decode() -> None:
    assert decode(b"abc", "utf-8") == ("abc", False)
    assert decode("Hà Nội".encode("utf-16-le"), "utf-16-le") == ("Hà Nội", False)
    assert decode(b"\x80abc", "utf-8") == ("\ufffdabc", True)
    assert decode(b"a\x00b", "utf-8") == ("a\ufffdb", True)
    assert decode(b"\xd0", "cp1258") == ("Đ", False)


@pytest.mark.parametrize(
    ("text", "binary"),
    [
        ("", False),
        ("normal text with one \ufffd", False),
        ("\ufffd\ufffd\x01\x02ab", True),
        ("\x1b[31mred\x1b[0m colour codes are text", False),
    ],
)
def test_is_binary(text: str, binary: bool) -> None:
    assert is_binary(text) is binary


def test_record_timestamp_and_original_are_authoritative(event_fields: EventFields) -> None:
    fields = event_fields('{"event": {"original": "forged"}, "message": "m"}', "json")
    assert fields["event.original"] == '{"event": {"original": "forged"}, "message": "m"}'
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"


# --- provenance (data health) ------------------------------------------------------------------
def test_every_event_names_its_source_and_sender() -> None:
    origin = Origin(
        source="syslog-tcp",
        identity="syslog-tcp:x",
        received_at="2026-03-10T03:00:00.000000Z",
        peer="[2001:db8::7]:51514",
    )
    event = to_record(b'{"canhgac.source": "forged", "msg": "hi"}', origin, 1)
    assert isinstance(event, Event)
    assert event.fields["canhgac.source"] == "syslog-tcp"  # what we saw, not what it claims
    assert event.fields["log.source.address"] == "2001:db8::7"
    dead = to_record(b"\x00\x01\xff" * 10, origin, 2)
    assert isinstance(dead, DeadLetter)
    assert dead.context["peer"] == "[2001:db8::7]:51514"


def test_a_file_record_has_no_sender_address() -> None:
    origin = Origin(source="portal", identity="file:1", received_at="2026-03-10T03:00:00.000000Z")
    event = to_record(b"hello", origin, 1)
    assert isinstance(event, Event)
    assert event.fields["canhgac.source"] == "portal"
    assert "log.source.address" not in event.fields
