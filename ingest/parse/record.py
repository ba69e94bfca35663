"""Turn one raw record (bytes) into an Event or a DeadLetter. Never raises.

decode (configured encoding, invalid bytes replaced and flagged) -> NFC -> parser from the
registry -> common fields (@timestamp, event.original, ECS categorization, related.*, ids).
Anything a parser rejects, and any unexpected exception a hostile record provokes, becomes a
dead letter with the reason. Each parser sets ``event.dataset`` itself (the source's
``dataset`` setting wins over the parser's default, but a JSON record's own
``event.dataset`` wins over both).

Windows-1258 (``cp1258``) writes Vietnamese with combining tone marks, so its text is NFD-like;
NFC after decoding makes it equal to the same words received as UTF-8.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from canhgac.errors import CanhGacError, ParseError
from canhgac.health.fields import ADDRESS_FIELD, SOURCE_FIELD, host_of_peer
from canhgac.models import DeadLetter, Event, event_id
from canhgac.registry import Registry
from canhgac.text import nfc
from ingest.parse.base import Origin, Parser
from ingest.parse.categories import complete as complete_categorization
from ingest.parse.registry import PARSERS
from ingest.parse.related import fill_related

# A record whose text is more than this share of replacement and control characters is
# binary (a stray upload, a TLS handshake on a syslog port): keep its bytes as a dead letter.
BINARY_SHARE = 0.3
_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0A, 0x1B), *range(0x1C, 0x20), 0x7F])
_REASON_CHARS = 300


@lru_cache(maxsize=32)
def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ParseError(f"unknown encoding {encoding!r} in the source configuration") from None


def decode(raw: bytes, encoding: str) -> tuple[str, bool]:
    """Decode bytes; returns (text, had_errors). Invalid bytes and NUL become U+FFFD."""
    codec = _codec(encoding)
    try:
        text, had_errors = raw.decode(codec), False
    except UnicodeDecodeError:
        text, had_errors = raw.decode(codec, errors="replace"), True
    # In UTF-8 a NUL character is a NUL byte, which bytes find at memory speed (a search of
    # non-ASCII text for NUL is slow: the zero high byte of every ASCII character matches).
    # The byte is looked for as the int 0: a one-byte bytes needle takes the general substring
    # search, several times slower than memchr.
    if (codec != "utf-8" or 0 in raw) and "\x00" in text:
        # NUL truncates strings in C-based tools downstream; it is never part of a log line.
        text, had_errors = text.replace("\x00", "\ufffd"), True
    return text, had_errors


def is_binary(text: str) -> bool:
    if not text:
        return False
    junk = text.count("\ufffd") + len(text) - len(text.translate(_CONTROLS))
    return junk > len(text) * BINARY_SHARE


def to_record(
    raw: bytes,
    origin: Origin,
    position: str | int,
    *,
    parsers: Registry[Parser] = PARSERS,
) -> Event | DeadLetter:
    """Parse one record read at ``position`` of the stream ``origin.identity``.

    ``parsers`` is the registry to look ``origin.parser`` up in (a seam for tests).
    """
    record_id = event_id(origin.identity, position)
    try:
        text, had_errors = decode(raw, origin.encoding)
        if had_errors and is_binary(text):
            return _dead(record_id, raw, origin, "binary data: not a text log record")
        text = text.rstrip("\r\n")
        if not text.isascii():  # ASCII is NFC and has no byte order mark
            text = nfc(text)
            if text[0] == "\ufeff":
                text = text[1:]
        parser = parsers.get(origin.parser)
        fields = parser(text, origin)
    except CanhGacError as exc:  # ParseError, and ConfigError for an unknown parser name
        return _dead(record_id, raw, origin, str(exc)[:_REASON_CHARS])
    except Exception as exc:  # noqa: BLE001 - hostile input must never crash a source
        reason = f"parser {origin.parser} failed: {type(exc).__name__}: {exc}"
        return _dead(record_id, raw, origin, reason[:_REASON_CHARS])
    # Plain membership tests: cheaper than setdefault's method call, once per line.
    if "@timestamp" not in fields:
        fields["@timestamp"] = origin.received_at
    fields["event.original"] = text
    complete_categorization(fields)
    fill_related(fields)
    if "event.dataset" not in fields:
        fields["event.dataset"] = origin.dataset or "raw"
    if "event.module" not in fields:
        fields["event.module"] = str(fields["event.dataset"]).partition(".")[0]
    if had_errors:
        fields["log.encoding_errors"] = True
    _provenance(fields, origin)
    return Event(record_id, fields)


def _provenance(fields: dict[str, object], origin: Origin) -> None:
    """Where the event came from, for data health (canhgac.health.fields): the configured
    source and the sender's address. A record that names its own source is overruled: the
    provenance is what we saw, not what the sender claims."""
    fields[SOURCE_FIELD] = origin.source
    address = host_of_peer(origin.peer)
    if address:
        fields[ADDRESS_FIELD] = address


def _dead(record_id: str, raw: bytes, origin: Origin, reason: str) -> DeadLetter:
    return DeadLetter(
        id=record_id,
        source=origin.source,
        reason=reason,
        raw=raw,
        received_at=origin.received_at,
        context=_context(origin),
    )


def _context(origin: Origin) -> dict[str, object]:
    context: dict[str, object] = {"parser": origin.parser, "identity": origin.identity}
    if origin.peer:
        context["peer"] = origin.peer  # data health counts dead letters per sender
    return context
