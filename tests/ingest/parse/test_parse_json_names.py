"""Application JSON flattened into its namespace in one pass writes what flattening and then
namespacing writes; records where the two could differ take the two steps; the remembered
field names are bounded whatever keys arrive."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.parse import jsonlog
from ingest.parse.base import Origin

ORIGIN = Origin(source="t", identity="t:1", received_at="2026-12-03T01:00:00.000000Z")
RECORD: dict[str, Any] = {
    "@timestamp": "2026-12-03T01:00:00.123Z",
    "level": "info",
    "message": "Nộp hồ sơ",
    "user": {"name": "an", "id": 7},
    "ho_so": {"ma": "HS1", "linh_vuc": {"ten": "Hộ tịch"}},
    ".trace.id.": "abc",  # dotted, with dots to strip
    "...": "left out",
    "msg": "also here",
    "tags": ["a", "b"],
    "big": 2**64 - 1,
    "none": None,
}


def _two_steps(record: dict[str, Any], dataset: str) -> dict[str, Any]:
    flat = jsonlog.flatten(record, escaped=False, exact=True)
    if not isinstance(flat.get("event.dataset"), str):
        flat["event.dataset"] = dataset
    return jsonlog.namespaced(flat, dataset)


@pytest.mark.parametrize(
    "record",
    [RECORD, {**RECORD, "event": {"action": "nop"}}, {"log.level": "x", "level": {"n": 1}}],
)
def test_one_pass_writes_the_two_steps_fields_in_order(record: dict[str, Any]) -> None:
    found = jsonlog._in_source_namespace(record, "app", escaped=False, exact=True)
    assert found is not None
    fields, msg = found
    assert list(fields.items()) == list(_two_steps(record, "app").items())
    assert msg == record.get("msg")


@pytest.mark.parametrize(
    "record",
    [
        {"hanoi": {"app": {"level": 1}}, "level": 2},  # names that meet in the namespace
        {".hanoi.app.level": 1, "level": 2},
        {"event": {"dataset": "web.access"}, "level": 1},  # names its own dataset
        {"event.dataset": "web.access"},
    ],
)
def test_records_where_one_pass_could_differ_take_two_steps(record: dict[str, Any]) -> None:
    assert jsonlog._in_source_namespace(record, "app", escaped=False, exact=True) is None


def test_a_name_met_twice_in_the_namespace_keeps_the_last_value_of_the_two_steps() -> None:
    fields = jsonlog.parse_json('{"hanoi": {"app": {"level": 1}}, "level": 2}', ORIGIN)
    assert fields["hanoi.app.level"] == 2


def test_a_dataset_named_by_the_record_namespaces_its_fields() -> None:
    fields = jsonlog.parse_json('{"event.dataset": "web.access", "level": 1}', ORIGIN)
    assert fields["hanoi.web.access.level"] == 1
    assert fields["event.module"] == "web"


def test_remembered_names_are_bounded() -> None:
    for prefix in range(jsonlog._MEMO_PREFIXES + 10):
        record = {f"p{prefix}": {f"k{key}": key for key in range(jsonlog._MEMO_NAMES + 10)}}
        flat = jsonlog.flatten(record, escaped=False, exact=True)
        assert flat[f"p{prefix}.k{jsonlog._MEMO_NAMES + 9}"] == jsonlog._MEMO_NAMES + 9
    for memo in jsonlog._NAMES:
        assert len(memo) <= jsonlog._MEMO_PREFIXES
        assert all(len(names) <= jsonlog._MEMO_NAMES for names in memo.values())
    for children in jsonlog._CHILDREN:
        assert len(children) <= jsonlog._MEMO_PREFIXES
        assert all(len(names) <= jsonlog._MEMO_NAMES for _, names in children.values())
    long_key = "k" * (jsonlog._MEMO_KEY_CHARS + 1)
    assert jsonlog.flatten({long_key: 1}, escaped=False) == {long_key: 1}
    assert all(long_key not in names for names in jsonlog._NAMES[False].values())
