"""Sigma values as SQLite literals and patterns: LIKE, GLOB and Python regexes."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sigma.exceptions import SigmaRegularExpressionError, SigmaValueError
from sigma.types import Placeholder, SigmaRegularExpression, SpecialChars

from canhgac.text import nfc

StringPart = str | SpecialChars | Placeholder


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


def is_ascii(parts: Sequence[StringPart]) -> bool:
    return all(part.isascii() for part in parts if isinstance(part, str))


def contains(parts: Sequence[StringPart]) -> list[StringPart]:
    inner = list(parts)
    if not inner or inner[0] is not SpecialChars.WILDCARD_MULTI:
        inner.insert(0, SpecialChars.WILDCARD_MULTI)
    if inner[-1] is not SpecialChars.WILDCARD_MULTI:
        inner.append(SpecialChars.WILDCARD_MULTI)
    return inner


def regex_pattern(value: SigmaRegularExpression) -> str:
    """The Python regex the store's REGEXP runs, flags as an inline prefix; validated here so
    a bad one is a rule error at load time, never a failing query at run time."""
    flags = "".join(sorted(value.sigma_to_re_flag[flag] for flag in value.flags))
    pattern = (f"(?{flags})" if flags else "") + nfc(str(value.regexp))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise SigmaRegularExpressionError(
            f"Regular expression '{value.regexp}' is invalid: {exc}"
        ) from None
    return pattern
