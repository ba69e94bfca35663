"""Sigma string values as both compilers read them: the parts of a string, substring
wrapping, and the Python regex a ``|re`` value means (validated once, at load time)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sigma.exceptions import SigmaRegularExpressionError
from sigma.types import Placeholder, SigmaRegularExpression, SpecialChars

from canhgac.text import nfc

StringPart = str | SpecialChars | Placeholder


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
