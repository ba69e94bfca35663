"""Search query text -> tokens. Every character of the input is accounted for: a character
the language has no use for is an error with its position, never silently dropped."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from enum import Enum

from sigma.types import SpecialChars

from alerting.detect.compile.patterns import StringPart
from alerting.hunt.syntax import QuerySyntaxError

#: Longer queries are refused: nothing an analyst types is this long, and it bounds the work.
MAX_QUERY_LENGTH = 4000


class Kind(Enum):
    WORD = "word"
    PHRASE = "phrase"
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    LBRACE = "{"
    RBRACE = "}"
    COLON = ":"
    COMPARE = "comparison"
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    TO = "TO"
    END = "end of query"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    position: int
    #: The value's parts: text, and for unquoted words the wildcards ``*`` and ``?``.
    parts: tuple[StringPart, ...] = ()
    #: The characters as typed (for keywords, comparisons and numbers).
    raw: str = ""
    escaped: bool = False


_PUNCTUATION = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    "[": Kind.LBRACKET,
    "]": Kind.RBRACKET,
    "{": Kind.LBRACE,
    "}": Kind.RBRACE,
    ":": Kind.COLON,
}
_KEYWORDS = {"AND": Kind.AND, "OR": Kind.OR, "NOT": Kind.NOT, "&&": Kind.AND, "||": Kind.OR}
_WORD_END = set(_PUNCTUATION) | set('"<>=') | {" ", "\t", "\r", "\n"}
_WILDCARDS = {"*": SpecialChars.WILDCARD_MULTI, "?": SpecialChars.WILDCARD_SINGLE}


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, ending with one :attr:`Kind.END`."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"the query is longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH
        )
    for index, char in enumerate(text):
        if (ord(char) < 32 and char not in "\t\r\n") or ord(char) == 127:
            raise QuerySyntaxError(f"control character U+{ord(char):04X} is not allowed", index)
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in _PUNCTUATION:
            yield Token(_PUNCTUATION[char], index, raw=char)
            index += 1
        elif char in "<>=":
            index = yield from _compare(text, index)
        elif char == '"':
            index = yield from _phrase(text, index)
        else:
            index = yield from _word(text, index)
    yield Token(Kind.END, len(text))


def _compare(text: str, start: int) -> Generator[Token, None, int]:
    op = text[start : start + 2] if text[start : start + 2] in (">=", "<=") else text[start]
    if op == "=":
        raise QuerySyntaxError("use ':' to match a value, or >, >=, <, <= to compare", start)
    yield Token(Kind.COMPARE, start, raw=op)
    return start + len(op)


def _phrase(text: str, start: int) -> Generator[Token, None, int]:
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            yield Token(Kind.PHRASE, start, parts=("".join(chars),) if chars else ())
            return index + 1
        else:
            chars.append(char)
            index += 1
    raise QuerySyntaxError('this quoted phrase has no closing "', start)


def _word(text: str, start: int) -> Generator[Token, None, int]:
    parts: list[StringPart] = []
    literal: list[str] = []
    raw: list[str] = []
    escaped = False
    index = start
    while index < len(text) and text[index] not in _WORD_END:
        char = text[index]
        if char == "\\":
            if index + 1 >= len(text):
                raise QuerySyntaxError("a backslash at the end escapes nothing", index)
            literal.append(text[index + 1])
            raw.append(text[index + 1])
            escaped = True
            index += 2
            continue
        if char in _WILDCARDS:
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_WILDCARDS[char])
        else:
            literal.append(char)
        raw.append(char)
        index += 1
    if literal:
        parts.append("".join(literal))
    word = "".join(raw)
    keyword = _KEYWORDS.get(word.upper() if word.isalpha() else word)
    if keyword is not None and not escaped:
        yield Token(keyword, start, raw=word)
    elif word == "TO" and not escaped:
        yield Token(Kind.TO, start, raw=word)
    else:
        yield Token(Kind.WORD, start, parts=tuple(parts), raw=word, escaped=escaped)
    return index
