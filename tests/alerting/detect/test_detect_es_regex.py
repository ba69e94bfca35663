"""Python regex search -> Lucene whole-value regex (alerting.detect.compile.elasticsearch.regex).

The translation must find a match exactly when Python's ``re.search`` does. Lucene is emulated
here with Python's ``re.fullmatch`` under DOTALL: the translation only emits the syntax both
share (literals, escaped punctuation, classes, groups, alternation, quantifiers, ``.`` = any
character). The real node runs the same regexes in tests/conformance.
"""

from __future__ import annotations

import random
import re

import pytest

from alerting.detect.compile.elasticsearch.regex import RegexNotSupported, lucene_regex

# From SigmaHQ rules, plus every anchor placement and flag the translation handles.
PATTERNS = [
    r"(?i)(ipfs\.io/|ipfs\.io\s).+\..+@.+\.[a-z]+",
    r"(.){5,}",
    r"(?:\s-[^-\s]{0,20}i|\s--inode\s)",
    r"-(W|R)\s?(\s|\"|')([0-9a-fA-F]{2}\s?){2,20}(\s|\"|')",
    r"\s-[FTd]\s",
    r"(^|\/)\.[^.\/]",
    r"^abc$",
    r"a$|^b",
    r"\Aab\Z",
    r"(?m)^ab",
    r"(?m)ab$",
    r"x+?y",
    r"(?i)nguyễn",
    r"ab|",
    r"^",
    r"$",
    r"(?s)a.b",
    r"a.b",
    r"^(a|b)*c$",
    r"(?i)K",
    r"\d+",
    r"[^\d\s]x",
    r"(?i:ab)c",
    r"^$",
    r"\n$",
    r"a{2}",
    r"(ab){0,2}$",
    r"(?i)[^k]",
    r"(?i)[a-c]x",
    r"(?a)\w\d",
    r"(?i)ß",
    r"[.*+?(){}|^$\[\]\\\"#@&<>~]",
]
PIECES = [
    *"abcxyABK\u212ak\n -/.i\u0130@D0O9٣'\"ßẞ#&<>~*",
    "ipfs.io/",
    "ipfs.io ",
    "nguyễn",
    "NGUYỄN",
    "--inode",
    " -i",
    " -F ",
    "SS",
]


def _texts(seed: int, count: int = 2500) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8))) for _ in range(count)]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_lucene_regex_matches_exactly_where_python_searches(pattern: str) -> None:
    translated = lucene_regex(pattern)
    python = re.compile(pattern)
    lucene = re.compile(translated, re.DOTALL) if translated is not None else None
    for text in _texts(len(pattern)):
        expected = python.search(text) is not None
        got = lucene is not None and lucene.fullmatch(text) is not None
        assert got == expected, (text, translated)


def test_a_plain_search_is_wrapped_and_escaped() -> None:
    assert lucene_regex(r"-D") == r".*\-D.*"
    assert lucene_regex(r"a\.b") == r".*a\.b.*"


def test_letters_and_digits_are_never_escaped_because_lucene_reads_them_as_classes() -> None:
    # \n, \d, \w are Lucene shorthands: a literal newline or a class is written out instead.
    translated = lucene_regex("a\\nb\\d")
    assert translated is not None
    assert "\\n" not in translated and "\\d" not in translated
    assert re.fullmatch(translated, "a\nb٣", re.DOTALL)  # Python's \d is Unicode


def test_ignorecase_uses_pythons_case_rules() -> None:
    translated = lucene_regex("(?i)k")
    assert translated is not None
    for char in "kK\u212a":  # the Kelvin sign matches k under Python's (?i)
        assert char in translated


def test_a_regex_that_can_never_match_is_none() -> None:
    assert lucene_regex("a^b") is None


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"cmd=(?!ls)", "negative lookahead/lookbehind"),
        (r"(?<=a)b", "lookahead/lookbehind"),
        (r"(\w)\1", "backreferences"),
        (r"(a)?(?(1)b|c)", "conditional groups"),
        (r"\bsu\b", "word boundaries"),
        (r"a*+", "possessive quantifiers"),
        (r"(?>a)", "atomic groups"),
        (r"(^a)+", "an anchor inside a repetition"),
        (r"a?^b", "an anchor next to an optional part"),
        (r"(?m)a^b", "an anchor in the middle of a multiline regex"),
        (r"(?m)^a|\Ab", "anchors of different kinds"),
        (r"a{1001}", "a repetition count above 1000"),
    ],
)
def test_constructs_lucene_lacks_are_refused_with_the_reason(pattern: str, reason: str) -> None:
    with pytest.raises(RegexNotSupported, match=re.escape(reason)):
        lucene_regex(pattern)
