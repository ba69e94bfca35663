"""Sigma values as SQLite literals and patterns: string literals, ``LIKE`` and ``GLOB``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sigma.exceptions import SigmaValueError
from sigma.types import Placeholder, SpecialChars

from alerting.detect.compile.patterns import StringPart
from canhgac.text import nfc


def sql_literal(text: str) -> str:
    """A SQL string literal. NUL cannot appear inside one, so it is spliced in as char(0)."""
    quoted = "'" + text.replace("'", "''") + "'"
    return quoted.replace("\x00", "' || char(0) || '")


def like_pattern(parts: Sequence[StringPart], normalize: Callable[[str], str]) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern from Sigma string parts."""
    out = []
    for part in parts:
        if isinstance(part, str):
            text = normalize(part)
            out.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        elif part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        else:
            raise _unresolved(part)
    return "".join(out)


def glob_pattern(parts: Sequence[StringPart]) -> str:
    """A ``GLOB`` pattern (case-sensitive); literal metacharacters become one-char classes."""
    out = []
    for part in parts:
        if isinstance(part, str):
            # "[" first, so the brackets added for "*" and "?" are not escaped again.
            text = nfc(part).replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
            out.append(text)
        elif part is SpecialChars.WILDCARD_MULTI:
            out.append("*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("?")
        else:
            raise _unresolved(part)
    return "".join(out)


def _unresolved(part: object) -> SigmaValueError:
    name = part.name if isinstance(part, Placeholder) else str(part)
    return SigmaValueError(f"placeholder '%{name}%' is not resolved by the processing pipeline")
