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
