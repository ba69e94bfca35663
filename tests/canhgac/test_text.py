"""canhgac.text.dumps and loads: orjson on the hot path, with the json module's semantics."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pytest

from canhgac.text import dumps, dumps_utf8, loads


def reference(value: Any) -> str:
    """What dumps means: the json encoder with the project's options."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class Level(StrEnum):
    warn = "warn"


class Name(str):
    pass


@dataclass
class Point:
    x: int


EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize(
    "value",
    [
        {
            "message": 'Người dùng "Nguyễn Văn An"\tđăng nhập\n\x00\x1f\x7f\u2028 \\ /',
            "process.pid": 4242,
            "ok": True,
            "gone": None,
            "tags": ["dvc", "hồ sơ"],
            "nested": {"a": [1, {"b": []}], "c": ()},
        },
        [2**63 - 1, -(2**63), 2**64 - 1, 0, -1, 0.5, -0.0, 1e16, 123456789.125],
        EVERY_CHARACTER,
        # orjson refuses or writes differently; the json encoder's text is kept:
        {1: "int key", None: "null key"},
        [2**64, -(2**63) - 1, 10**40],
        {"when": datetime(2024, 3, 5, 7, 2, 11, tzinfo=UTC), "day": date(2024, 3, 5)},
        {"level": Level.warn, "name": Name("Trần Thị Bình")},
        {"point": Point(1), "set": {3}, "bytes": b"\xff"},
        "lone \ud800 surrogate",
    ],
)
def test_dumps_writes_what_the_json_encoder_writes(value: Any) -> None:
    assert dumps(value) == reference(value)


@pytest.mark.parametrize("number", [1e-05, 2.5e-07, 6.26703014325946e-05, 1e300, 5e-324])
def test_a_float_is_the_same_number(number: float) -> None:
    # orjson may choose another notation (0.00001 for 1e-05); the value is the same.
    assert json.loads(dumps({"x": number})) == {"x": number}


def test_a_non_finite_float_is_json_null() -> None:
    # The json encoder writes NaN, which is not JSON; parsers never produce one.
    assert dumps([math.nan, math.inf]) == "[null,null]"


@pytest.mark.parametrize("value", [{"a": "Hà Nội", "n": 1}, {1: 2}, 2**70, "\x00ệ"])
def test_dumps_utf8_is_dumps_encoded(value: Any) -> None:
    assert dumps_utf8(value) == dumps(value).encode()


def test_dumps_utf8_refuses_a_lone_surrogate_like_encode_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        dumps_utf8("\udc80")


@pytest.mark.parametrize(
    "text",
    [
        '{"user.name":"nguyễn.văn.an","n":4624,"f":0.5,"ok":true,"none":null,"l":[1,"a"]}',
        '{"lone":"\\ud800x"}',  # an escaped lone surrogate: orjson refuses it
        '{"big":123456789012345678901234567890}',  # beyond 64 bits
        '{"nan":NaN}',  # not JSON, yet json.loads reads it
        '{"k":1,"k":2}',  # the last duplicate wins in both
    ],
)
def test_loads_reads_what_json_loads_reads(text: str) -> None:
    expected = json.loads(text)
    got = loads(text)
    assert repr(got) == repr(expected)


def test_loads_keeps_integers_of_any_size() -> None:
    for number in (2**63 - 1, 2**64 - 1, 2**64, 10**30, -(10**25)):
        assert loads(f'{{"n":{number}}}') == {"n": number}
        assert type(loads(f'{{"n":{number}}}')["n"]) is int


def test_loads_keeps_nested_integers_of_any_size() -> None:
    text = '{"a":[1,{"b":[100000000000000000000000]}],"c":1e30}'
    assert loads(text) == json.loads(text)
    assert type(loads(text)["a"][1]["b"][0]) is int
