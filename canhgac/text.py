"""Text rules shared by ingest, stores and detection.

Vietnamese diacritics arrive composed (NFC) and decomposed (NFD); everything is stored NFC so a
substring search for ``Nguyễn`` finds both. Sigma compares strings case-insensitively for every
letter, so matching folds both sides with :func:`fold` (Unicode casefold), not ASCII-only rules.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any


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


# One encoder for every call: json.dumps with non-default options builds a new encoder each
# time, which is a measurable share of serialising an event on the ingest hot path.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    """JSON as raw UTF-8: ``\\u`` escapes would defeat substring search over stored text."""
    return _ENCODER.encode(value)
