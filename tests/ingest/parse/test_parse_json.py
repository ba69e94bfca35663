"""The generic JSON application log parser."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse.base import Origin
from ingest.parse.jsonlog import parse_json

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]


def test_nested_object_is_flattened(make_origin: OriginFactory) -> None:
    line = json.dumps(
        {
            "@timestamp": "2024-03-05T14:02:11.123+07:00",
            "level": "warn",
            "message": "Nộp hồ sơ thất bại",
            "user": {"name": "Nguyễn Văn An", "id": 1042},
            "http": {"response": {"status_code": 502}},
            "duration_ms": 12.5,
            "cached": False,
            "parent": None,
            "tags": ["dvc", "ho-so"],
            "ids": [1, 2, 3],
            "steps": [{"a": 1}],
        },
        ensure_ascii=False,
    )
    assert parse_json(line, make_origin("json")) == {
        "@timestamp": "2024-03-05T07:02:11.123000Z",
        # The application's own fields go under hanoi.<dataset>; ECS field sets stay.
        "hanoi.app.level": "warn",
        "message": "Nộp hồ sơ thất bại",
        "user.name": "Nguyễn Văn An",
        "user.id": 1042,
        "http.response.status_code": 502,
        "hanoi.app.duration_ms": 12.5,
        "hanoi.app.cached": False,
        "tags": ["dvc", "ho-so"],
        "hanoi.app.ids": "[1,2,3]",
        "hanoi.app.steps": '[{"a":1}]',
        "event.dataset": "app",
        "event.module": "app",
    }


def test_dataset_precedence(make_origin: OriginFactory) -> None:
    own = '{"event": {"dataset": "portal.audit"}, "message": "x"}'
    assert parse_json(own, make_origin(dataset="portal.app"))["event.dataset"] == "portal.audit"
    assert parse_json(own, make_origin())["event.module"] == "portal"
    configured = parse_json('{"message": "x"}', make_origin(dataset="portal.app"))
    assert (configured["event.dataset"], configured["event.module"]) == ("portal.app", "portal")


@pytest.mark.parametrize(
    "dataset", ['"../../etc"', '"a b"', "42", '""', '"' + "x" * 65 + '"', '"<script>"']
)
def test_hostile_record_dataset_is_ignored(dataset: str, make_origin: OriginFactory) -> None:
    fields = parse_json(
        f'{{"event": {{"dataset": {dataset}, "module": {dataset}}}}}', make_origin()
    )
    assert (fields["event.dataset"], fields["event.module"]) == ("app", "app")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ('{"timestamp": "2024-03-05T07:02:11Z"}', "2024-03-05T07:02:11.000000Z"),
        ('{"time": 1709622131}', "2024-03-05T07:02:11.000000Z"),
        ('{"ts": 1709622131.25}', "2024-03-05T07:02:11.250000Z"),
        ('{"ts": 1709622131250}', "2024-03-05T07:02:11.250000Z"),
        ('{"ts": "1709622131250"}', "2024-03-05T07:02:11.250000Z"),
        ('{"time": 1709622131250000123}', "2024-03-05T07:02:11.250000Z"),
        # Without an offset the source zone applies (Hanoi by default).
        ('{"time": "2024-03-05 14:02:11"}', "2024-03-05T07:02:11.000000Z"),
    ],
)
def test_timestamp_keys_and_forms(record: str, expected: str, make_origin: OriginFactory) -> None:
    assert parse_json(record, make_origin())["@timestamp"] == expected


def test_bad_timestamp_falls_back(event_fields: EventFields) -> None:
    fields = event_fields('{"@timestamp": "hôm qua", "message": "x"}', "json")
    assert fields["@timestamp"] == "2024-03-05T08:00:00.000000Z"
    assert fields["event.timestamp_fallback"] is True


def test_msg_becomes_message_and_unicode_escapes_are_nfc(make_origin: OriginFactory) -> None:
    # "Nguye\u0302\u0303n" is decomposed (NFD) once the JSON escapes are decoded.
    fields = parse_json('{"msg": "Nguye\\u0302\\u0303n", "k\\u00e9y": 1}', make_origin())
    assert fields["message"] == "Nguyễn"
    assert fields["hanoi.app.kéy"] == 1


def test_values_a_store_cannot_take_become_text(make_origin: OriginFactory) -> None:
    fields = parse_json('{"big": 123456789012345678901234567890, "inf": 1e999}', make_origin())
    assert fields["hanoi.app.big"] == "123456789012345678901234567890"
    assert fields["hanoi.app.inf"] == "inf"


def test_empty_and_dotted_keys(make_origin: OriginFactory) -> None:
    fields = parse_json('{"": 1, ".": 2, "a.": 3, "b": {"": 4}}', make_origin())
    assert {key: value for key, value in fields.items() if not key.startswith("event.")} == {
        "hanoi.app.a": 3
    }


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not an object but list"),
        ('"text"', "not an object but str"),
        ("", "invalid JSON"),
    ],
)
def test_structural_errors(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_json(line, make_origin())


def test_limits_at_the_edge(make_origin: OriginFactory) -> None:
    deepest = '{"a":' * 32 + "1" + "}" * 32
    assert parse_json(deepest, make_origin())["hanoi.app." + "a." * 31 + "a"] == 1
    widest = json.dumps({f"k{index}": index for index in range(1998)})
    assert len(parse_json(widest, make_origin())) == 2000  # plus dataset and module


@pytest.mark.parametrize("parser", ["json", "auto"])
def test_integers_beyond_64_bits_stay_exact(event_fields: EventFields, parser: str) -> None:
    # orjson, which decodes records, turns these into floats; the record is then decoded again
    # with json, so they keep every digit (as text: no store takes them as numbers).
    line = (
        '{"message": "x", "big": 123456789012345678901234567890, "low": -9223372036854775809,'
        ' "max": 18446744073709551615, "ok": 9223372036854775807, "real": 1e19,'
        ' "list": [1, [{"n": 18446744073709551616}]], "ratio": 0.25}'
    )
    fields = event_fields(line, parser)
    assert fields["hanoi.app.big"] == "123456789012345678901234567890"
    assert fields["hanoi.app.low"] == "-9223372036854775809"
    assert fields["hanoi.app.max"] == "18446744073709551615"
    assert fields["hanoi.app.ok"] == 9223372036854775807
    assert fields["hanoi.app.real"] == 1e19
    assert fields["hanoi.app.list"] == '[1,[{"n":18446744073709551616}]]'
    assert fields["hanoi.app.ratio"] == 0.25


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"n": NaN, "m": -Infinity}', {"hanoi.app.n": "nan", "hanoi.app.m": "-inf"}),
        ('{"s": "\\ud800 lone"}', {"hanoi.app.s": "\ud800 lone"}),
        ('{"a": 1, "a": {"b": 2}}', {"hanoi.app.a.b": 2}),
    ],
)
def test_records_orjson_rejects_parse_as_json_would(
    make_origin: OriginFactory, line: str, expected: dict[str, Any]
) -> None:
    fields = parse_json(line, make_origin("json"))
    assert {key: fields[key] for key in expected} == expected
    assert "hanoi.app.a" not in fields


def test_nesting_orjson_rejects_is_still_too_deep(make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match="nesting"):
        parse_json('{"deep": ' + "[" * 2000 + "]" * 2000 + "}", make_origin("json"))


def test_application_fields_are_namespaced_per_dataset(make_origin: OriginFactory) -> None:
    line = (
        '{"message": "Tra cứu mã số thuế", "ma_so_thue": "0101234567", "so_tien": 25000,'
        ' "giao_dich": {"ma": "GX1"}, "client": {"ip": "10.0.0.9"}, "hanoi.own": 1}'
    )
    fields = parse_json(line, make_origin(dataset="thue"))
    assert {key: value for key, value in fields.items() if key != "event.module"} == {
        "message": "Tra cứu mã số thuế",
        "hanoi.thue.ma_so_thue": "0101234567",
        "hanoi.thue.so_tien": 25000,
        "hanoi.thue.giao_dich.ma": "GX1",
        "client.ip": "10.0.0.9",
        "hanoi.own": 1,
        "event.dataset": "thue",
    }


def test_a_beats_document_keeps_its_integration_namespace(make_origin: OriginFactory) -> None:
    line = (
        '{"winlog": {"channel": "Security", "event_id": "1102"}, "agent": {"type": "winlogbeat"}}'
    )
    fields = parse_json(line, make_origin())
    assert (fields["winlog.channel"], fields["winlog.event_id"], fields["agent.type"]) == (
        "Security",
        "1102",
        "winlogbeat",
    )
