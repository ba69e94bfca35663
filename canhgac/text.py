"""Text rules shared by ingest, stores and detection.

Vietnamese diacritics arrive composed (NFC) and decomposed (NFD); everything is stored NFC so a
substring search for ``Nguyễn`` finds both. Sigma compares strings case-insensitively for every
letter, so matching folds both sides with :func:`fold` (Unicode casefold), not ASCII-only rules.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any, NoReturn

import orjson

# Terminal safety: log content is attacker-controlled. Control characters (ANSI/OSC escapes
# rewrite the screen or the window title, a newline forges a second line) and bidirectional
# overrides (``evil\u202eexe.txt``) are shown as visible escapes or dropped.
_BIDI_AND_SEPARATORS = (
    [0x061C, 0x200E, 0x200F, 0x2028, 0x2029]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)
_CONTROL_POINTS = [*range(0x00, 0x20), *range(0x7F, 0xA0), *_BIDI_AND_SEPARATORS]
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_for(point: int) -> str:
    char = chr(point)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


_ESCAPE_TABLE = str.maketrans({point: _escape_for(point) for point in _CONTROL_POINTS})
_STRIP_TABLE = str.maketrans({point: " " for point in _CONTROL_POINTS})
_STRIP_KEEP_NEWLINES = str.maketrans(
    {point: (None if point == 0x0D else " ") for point in _CONTROL_POINTS if point != 0x0A}
)


def escape_controls(text: str) -> str:
    """Control and bidi characters shown as visible escapes (``\\x1b``, ``\\n``, ``\\u202e``)."""
    return text.translate(_ESCAPE_TABLE)


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Control and bidi characters replaced by spaces (``\\n`` kept if asked, ``\\r`` dropped)."""
    return text.translate(_STRIP_KEEP_NEWLINES if keep_newlines else _STRIP_TABLE)


def nfc(text: str) -> str:
    # is_normalized is a fast C check; most lines are already NFC.
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Case-fold for comparison: NFC first so composed and decomposed forms agree."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


# The reference encoder: what dumps means, and what it falls back to for anything orjson would
# write differently. One instance for every call: json.dumps with non-default options builds a
# new encoder each time.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
# orjson writes the same text for str (raw UTF-8, the same escapes character for character),
# int, bool, None, list, tuple and dict with str keys. Everything else -- str and int
# subclasses, datetimes, dataclasses, sets, bytes, non-str keys, ints beyond 64 bits, lone
# surrogates -- reaches _refuse or makes orjson raise, and then the reference encoder writes it.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _refuse(value: Any) -> NoReturn:
    raise TypeError(type(value).__name__)


def dumps(value: Any) -> str:
    """Compact JSON as raw UTF-8 (``\\u`` escapes would defeat substring search over stored
    text); a value JSON has no type for is written as its ``str``.

    Serialising is a large share of ingest's per-event work, so the common case goes through
    orjson (about ten times faster). Two differences from ``json.dumps`` remain, both outside
    what parsers produce: a float may be written in another notation of the same number
    (``1e-05`` as ``0.00001``), and a non-finite float is ``null``, not the non-JSON ``NaN``.
    """
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _ENCODER.encode(value)


def dumps_utf8(value: Any) -> bytes:
    """``dumps(value).encode()`` without the round trip through ``str``, for writers that
    take bytes (a store binding a document). Raises UnicodeEncodeError where that would."""
    try:
        return orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return _ENCODER.encode(value).encode()


# orjson reads an integer beyond 64 bits as a float, and every such float is at least this.
_ORJSON_INT_LIMIT = 2.0**64
_MAY_HOLD_FLOATS = frozenset({float, list, dict})


def loads(text: str) -> Any:
    """``json.loads`` through orjson (several times faster on stored documents).

    orjson refuses a few texts ``json.loads`` reads (escaped lone surrogates, ``NaN``) and
    reads an integer beyond 64 bits as a float: a text it refuses, or whose result holds a
    float that large (rare: whatever its origin, it only costs a second parse), is read by
    the standard reader, so the result is always what ``json.loads`` gives."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _holds_huge_float(value) else value


def _holds_huge_float(value: Any) -> bool:
    if type(value) is float:
        return abs(value) >= _ORJSON_INT_LIMIT
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list):
        return False
    if set(map(type, value)).isdisjoint(_MAY_HOLD_FLOATS):  # most documents: one C pass
        return False
    return any(map(_holds_huge_float, value))
