"""Trigrams of stored values and of rule needles (canhgac.store.elasticsearch.grams)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from canhgac.store.elasticsearch.grams import (
    MAX_NEEDLE_GRAMS,
    document_grams,
    gram_text,
    indexed_strings,
    needle_grams,
)
from canhgac.text import fold


def _grams(*values: str) -> set[str]:
    return document_grams(values)


def test_ascii_values_give_their_lowercase_trigrams() -> None:
    assert _grams("Hello!") == {"hel", "ell", "llo", "lo!"}
    assert _grams("ab") == set()
    assert _grams("a\x00B\tc") == {"a\x00b", "\x00b\t", "b\tc"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("\u212aEY", "key"),  # Kelvin sign -> k
        ("\u017fys", "sys"),  # long s -> s
        ("STRAẞE", "strasse"),
        ("straße", "strasse"),
        ("\ufb01le", "file"),  # fi ligature
        ("\u0130d", "i\x80d"),  # dotted capital I -> i + combining dot (not ASCII)
        ("Nguyễn", "nguy\x80n"),
        ("ΣΑΣ", "\x80\x80\x80"),
    ],
)
def test_each_character_is_folded_on_its_own(value: str, text: str) -> None:
    assert gram_text(value) == text


def test_non_ascii_characters_break_grams() -> None:
    assert _grams("Nguyễn Văn") == {"ngu", "guy", "n v"}
    assert _grams("ﬁle") == {"fil", "ile"}
    assert _grams("\u0130dx") == set()  # i + combining dot + dx: no three ASCII in a row


def test_a_value_inside_another_adds_nothing() -> None:
    line = "<14>Nov 27 host app: Failed password for an"
    assert _grams(line, "Failed password for an") == _grams(line)
    assert _grams(line, "other text") == _grams(line) | _grams("other text")


def test_fold_of_the_whole_value_never_has_a_gram_the_character_fold_lacks() -> None:
    # What the SQLite store compares for a non-ASCII needle is fold(value): normalization
    # there composes across characters and maps single ones (Kelvin sign, Greek varia).
    marks = [chr(point) for point in range(0x300, 0x370)]
    folds_to_ascii = [c for c in map(chr, range(0x80, 0x30000)) if _has_ascii(fold(c))]
    alphabet = [*"abcsikjhtAISK ", *marks, *folds_to_ascii, "ǰ", "ẖ", "é", "ễ", "Å", "\u212b"]
    rng = random.Random(7)
    for _ in range(20_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        folded = fold(value)
        whole = {folded[i : i + 3] for i in range(len(folded) - 2)}
        assert {g for g in whole if g.isascii()} <= _grams(value), value


def _has_ascii(text: str) -> bool:
    return any(char.isascii() for char in text)


@pytest.mark.parametrize(
    ("value", "strings"),
    [
        ("a", ["a"]),
        (4625, ["4625"]),
        (1.5, ["1.5"]),
        (1e100, ["1e+100"]),
        (True, ["true"]),
        (["a", 2, [False]], ["a", "2", "false"]),
        (None, []),
        ({"a": 1}, []),
    ],
)
def test_indexed_strings_are_what_elasticsearch_keeps(value: Any, strings: list[str]) -> None:
    assert list(indexed_strings(value)) == strings


def test_needle_grams_are_lowercase_ascii_trigrams_of_each_segment() -> None:
    assert needle_grams(["WGET "]) == ["wge", "et ", "get"]
    assert needle_grams(["ab", "cde"]) == ["cde"]  # never across a wildcard
    assert needle_grams(["nguyễn văn"]) == ["ngu", "n v", "guy"]
    assert needle_grams(["x"]) == [] and needle_grams([]) == []


def test_long_needles_keep_a_bounded_spread_of_grams() -> None:
    needle = "the quick brown fox jumps over the lazy dog"
    grams = needle_grams([needle])
    assert len(grams) == MAX_NEEDLE_GRAMS
    assert grams[:2] == ["the", "dog"]  # both ends first
    assert set(grams) <= _grams(needle)
    assert needle_grams([needle], limit=3) == ["the", "dog", "ump"] == grams[:3]
