"""Sigma strings on keyword fields as query DSL, matching exactly what the SQLite store matches.

The SQLite store compares a Sigma string in one of two ways, and so does this module:

* a value whose text is pure ASCII is matched with ASCII case folding (SQLite's ``LIKE`` and
  ``NOCASE``). Elasticsearch's ``case_insensitive`` option on ``term``/``prefix``/``wildcard``
  folds ASCII only as well -- checked on the test node: ``NGUYỄN`` does not find ``nguyễn``
  that way -- so those queries are used as they are;
* a value with non-ASCII text is matched on :func:`canhgac.text.fold` of both sides (Unicode
  case folding). Elasticsearch has no such query, so the value becomes a ``regexp`` in which
  each character is the class of every stored character folding to it (``ễ`` ->
  ``[ễỄ]``, ``s`` -> ``[sSſ]``, ``ss`` -> ``(ss|ß|ẞ)`` ...). A value none of whose
  characters has another case (``–`` in a windash variant) stays a plain query.

On a keyword kept in doc values only (the store's gram fields; checked on the test node):

* a case-insensitive ``term`` or ``prefix`` folds more than ASCII (Java's per-character case
  mapping: ``k`` finds the Kelvin sign, ``i`` finds ``İ`` and ``ı``), a ``wildcard`` ASCII
  only, so every case-insensitive match there is a ``wildcard``;
* a case-insensitive wildcard is checked event by event (cheap behind the trigram filter of
  :mod:`alerting.detect.compile.elasticsearch.grams`), a case-sensitive one, like a
  ``regexp``, walks every distinct stored value first. A wildcard value without ASCII
  letters is the same either way, so it is sent case-insensitive. Case-sensitive
  (``|cased``) wildcards with letters, non-ASCII values (regexes) and ``|re`` still walk the
  values, at about the cost of walking an indexed keyword's terms.

Values are NFC-normalized like stored text. Known difference, for characters whose fold is
several characters (``ß``, ``ﬁ``; none occur in Vietnamese): SQLite compares folded text, so
a ``?`` wildcard or a match edge can fall *inside* such a character there, never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.types import SpecialChars

from alerting.detect.compile.elasticsearch.charsets import length
from alerting.detect.compile.elasticsearch.fold import fold_table
from alerting.detect.compile.patterns import StringPart, is_ascii
from canhgac.text import fold, nfc

Query = dict[str, Any]
_WILDCARD_SPECIAL = str.maketrans({"\\": "\\\\", "*": "\\*", "?": "\\?"})


class NotSupportedOnElasticsearch(SigmaFeatureNotSupportedByBackendError):
    """The rule needs something the Elasticsearch store cannot answer exactly."""


def check_regex_length(regex: str, limit: int, what: str) -> None:
    if length(regex) > limit:
        raise NotSupportedOnElasticsearch(
            f"{what} becomes a {length(regex)}-character Lucene regex; the event indices "
            f"allow {limit} (index.max_regex_length)"
        )


def _merged(parts: Sequence[StringPart], normalize: Any) -> list[str | SpecialChars]:
    """Adjacent text parts joined and normalized; placeholders refused like SQLite does."""
    out: list[str | SpecialChars] = []
    for part in parts:
        if isinstance(part, str):
            text = normalize(part)
            if out and isinstance(out[-1], str):
                out[-1] += text
            else:
                out.append(text)
        elif isinstance(part, SpecialChars):
            out.append(part)
        else:
            raise NotSupportedOnElasticsearch(
                f"placeholder '%{part.name}%' is not resolved by the processing pipeline"
            )
    return out


def _case(fold_ascii: bool, parts: Sequence[str | SpecialChars]) -> dict[str, bool]:
    # A value without letters needs no folding, and a plain term then also works on a field
    # that a dynamic mapping made numeric (case_insensitive fails there).
    letters = any(isinstance(p, str) and any(c.isalpha() for c in p) for p in parts)
    return {"case_insensitive": True} if fold_ascii and letters else {}


def _ascii_letters(parts: Sequence[str | SpecialChars]) -> bool:
    return any(isinstance(p, str) and any(c.isascii() and c.isalpha() for c in p) for p in parts)


def _plain(
    field: str, parts: Sequence[str | SpecialChars], fold_ascii: bool, doc_values_only: bool
) -> Query:
    """term, prefix or wildcard; ``fold_ascii`` folds ASCII letters only (as SQLite's LIKE)."""
    case = _case(fold_ascii, parts)
    exact = all(isinstance(part, str) for part in parts)
    if doc_values_only and (case or not (exact or _ascii_letters(parts))):
        # Only a case-insensitive wildcard is both ASCII-folding and checked event by event
        # there; without an ASCII letter, folding changes nothing (see module doc).
        case = {"case_insensitive": True}
    elif exact:
        value = "".join(part for part in parts if isinstance(part, str))
        return {"term": {field: {"value": value, **case}}} if case else {"term": {field: value}}
    elif len(parts) == 2 and isinstance(parts[0], str) and parts[1] is SpecialChars.WILDCARD_MULTI:
        return {"prefix": {field: {"value": parts[0], **case}}}
    pattern = "".join(
        part.translate(_WILDCARD_SPECIAL)
        if isinstance(part, str)
        else ("*" if part is SpecialChars.WILDCARD_MULTI else "?")
        for part in parts
    )
    return {"wildcard": {field: {"value": pattern, **case}}}


def regexp(field: str, regex: str) -> Query:
    # flags NONE: only the core syntax we generate; ~ & @ # < > stay literal characters.
    return {"regexp": {field: {"value": regex, "flags": "NONE"}}}


def folded_string(
    field: str, parts: Sequence[StringPart], max_regex_length: int, doc_values_only: bool = False
) -> Query:
    """Case-insensitive match as the SQLite store does it (see module doc)."""
    if is_ascii(parts):
        return _plain(field, _merged(parts, str), True, doc_values_only)
    merged = _merged(parts, fold)
    table = fold_table()
    pieces = []
    for part in merged:
        if part is SpecialChars.WILDCARD_MULTI:
            pieces.append(".*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            pieces.append(".")
        else:
            pieces.append(table.regex(str(part)))
    literal_only = all(table.is_literal(part) for part in merged if isinstance(part, str))
    if literal_only:
        # No character of the value has another case: a plain query is the same and cheaper.
        return _plain(field, merged, False, doc_values_only)
    regex = "".join(pieces)
    check_regex_length(regex, max_regex_length, "the case-insensitive non-ASCII value")
    return regexp(field, regex)


def exact_string(field: str, parts: Sequence[StringPart], doc_values_only: bool = False) -> Query:
    """Case-sensitive match (``|cased``), as SQLite's GLOB."""
    return _plain(field, _merged(parts, nfc), False, doc_values_only)


def compared_segments(parts: Sequence[StringPart], cased: bool) -> list[str]:
    """The value's literal text between wildcards as :func:`folded_string` (or, ``cased``,
    :func:`exact_string`) compares it: as written if ASCII, else folded; NFC if cased."""
    normalize = nfc if cased else (str if is_ascii(parts) else fold)
    return [part for part in _merged(parts, normalize) if isinstance(part, str)]


def joined_text(parts: Sequence[StringPart]) -> tuple[str, bool]:
    """The value's text and whether it has wildcards."""
    merged = _merged(parts, nfc)
    text = "".join(part for part in merged if isinstance(part, str))
    return text, any(not isinstance(part, str) for part in merged)
