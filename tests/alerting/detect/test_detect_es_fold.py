"""Case-insensitive non-ASCII strings for Elasticsearch (alerting.detect.compile.elasticsearch.fold).

The oracle is the SQLite store's rule: ``fold(rule value)`` is a substring of
``fold(stored value)``. The regexes are run with Python's ``re.fullmatch`` (DOTALL), the
subset of syntax Lucene shares; the real node runs them in tests/conformance.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from alerting.detect.compile.elasticsearch.fold import canonical_spellings, fold_table
from canhgac.text import fold


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


STORED = [
    "Nguyễn Văn An",
    "NGUYỄN VĂN AN",
    _nfd("Nguyễn Văn An"),
    _nfd("NGUYỄN THỊ HOA"),
    "Nguy\u00ea\u0303n Văn Bình",  # Windows-1258: precomposed ê + combining tilde
    "Nguyen Van An",
    "Nguyên Văn An",
    "Đăng nhập thất bại",
    _nfd("đăng nhập thất bại"),
    "Dang nhap that bai",
    "/QUẢN-TRỊ/cấu-hình",
    _nfd("/quản-trị/"),
    "STRASSE",
    "straße",
    "Σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "ſtop",
]
RULES = [
    "nguyễn",
    "NGUYỄN VĂN",
    _nfd("nguyễn"),
    "đăng nhập",
    "/quản-trị/",
    "straße",
    "strasse",
    "σίσυφος",
    "stop",
]


@pytest.mark.parametrize("rule", RULES)
def test_the_regex_matches_where_folded_text_contains_the_folded_value(rule: str) -> None:
    regex = re.compile(".*" + fold_table().regex(fold(rule)) + ".*", re.DOTALL)
    for stored in STORED:
        expected = fold(rule) in fold(stored)
        assert (regex.fullmatch(stored) is not None) == expected, (rule, stored)


def test_each_letter_is_the_class_of_its_cases_and_spellings() -> None:
    table = fold_table()
    assert table.regex("ả") == "([Ảả]|[Aa]\u0309)"
    assert table.regex("k") == "[Kk]"  # the Kelvin sign is not NFC, so never stored
    assert table.regex("ss") == "([Ssſ][Ssſ]|[ßẞ])"


def test_text_without_case_or_decomposition_is_literal() -> None:
    table = fold_table()
    assert table.is_literal("–中文")
    assert not table.is_literal("–enc")
    assert not table.is_literal("ễ")


def test_canonical_spellings_cover_decomposed_and_windows_1258_forms() -> None:
    spellings = canonical_spellings("ệ")
    assert {"ệ", "ê\u0323", "ẹ\u0302", "e\u0323\u0302"} <= spellings
    assert all(unicodedata.normalize("NFC", each) == "ệ" for each in spellings)
    # Marks of the same combining class keep their order: ẽ + circumflex is another letter.
    assert "ẽ\u0302" not in canonical_spellings("ễ")
    assert canonical_spellings("a") == {"a"}
