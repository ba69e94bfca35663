"""NXLog records: the fields written by plan (worked out once per record shape) are those the
key-by-key split writes, in the same order, for every kind of value and key; the plans kept
are bounded whatever shapes arrive."""

from __future__ import annotations

from typing import Any

import pytest

from canhgac.errors import ParseError
from ingest.parse import windows_nxlog
from ingest.parse.base import Origin
from ingest.parse.windows import parse_windows

ORIGIN = Origin(source="t", identity="t:1", received_at="2026-12-03T01:00:00.000000Z")
SECURITY: dict[str, Any] = {
    "EventTime": "2026-12-03 08:00:00",
    "Hostname": "DC01.hanoi.gov.vn",
    "Keywords": -9218868437227405312,
    "EventID": 4625,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "RecordNumber": 2**64 - 1,  # beyond a signed long: written as text
    "Channel": "Security",
    "TargetUserName": "Nguyễn Văn An",
    "IpAddress": "10.0.0.9",
    "EventReceivedTime": "2026-12-03 08:00:01",
}
ODD_VALUES: dict[str, Any] = {
    "Message": {"Text": "nested", "Parts": {"A": 1}},  # an object: flattened under message.
    "ThreadID": None,  # null: left out
    "Opcode": 1.5,
    "Version": True,
    "Task": [1, 2],  # an array: JSON text
    "...": "a key of dots only: left out",
    ".Dotted.": "dots stripped",
    "Data": {"Inner": None, "More": ["x"]},
    "Severity": {"Nested": "collector object"},
    "Nguye\u0302\u0303n": "Le\u0302",  # decomposed, as a \\u-escaped text would give
}


def _by_parts(record: dict[str, Any], escaped: bool) -> dict[str, Any]:
    parts = windows_nxlog._nxlog_parts(record, None)
    return windows_nxlog._fields_of_parts(parts, escaped, exact=True)


@pytest.mark.parametrize("escaped", [False, True])
@pytest.mark.parametrize(
    "record",
    [SECURITY, {**SECURITY, **ODD_VALUES}, {**ODD_VALUES, **SECURITY}, {"EventID": 1}],
    ids=["security", "odd-values-after", "odd-values-first", "bare"],
)
def test_the_plan_writes_the_fields_of_the_split_in_its_order(
    record: dict[str, Any], escaped: bool
) -> None:
    by_plan = windows_nxlog._fields_by_plan(record, escaped, exact=True)
    assert list(by_plan.items()) == list(_by_parts(record, escaped).items())
    # and once more from the plan the first call kept
    assert list(windows_nxlog._fields_by_plan(record, escaped, True).items()) == list(
        by_plan.items()
    )


def test_the_plan_orders_fields_as_event_then_collector_then_event_data() -> None:
    fields = windows_nxlog._fields_by_plan(SECURITY, escaped=False, exact=True)
    assert list(fields) == [
        "winlog.computer_name",
        "winlog.keywords",
        "winlog.event_id",
        "winlog.provider_name",
        "winlog.record_id",
        "winlog.channel",
        "hanoi.nxlog.EventTime",
        "hanoi.nxlog.EventReceivedTime",
        "winlog.event_data.TargetUserName",
        "winlog.event_data.IpAddress",
    ]
    assert fields["winlog.record_id"] == str(2**64 - 1)


def test_the_key_limit_counts_as_the_split_does() -> None:
    # 1,999 fields from the message object, then two collector keys: over the limit both ways.
    record = {"EventID": 1, "Message": {f"k{i}": i for i in range(1_999)}}
    record |= {"EventTime": "x", "EventReceivedTime": "y"}
    with pytest.raises(ParseError, match="more than 2000 keys"):
        _by_parts(record, escaped=False)
    with pytest.raises(ParseError, match="more than 2000 keys"):
        windows_nxlog._fields_by_plan(record, escaped=False, exact=True)
    # Values that are all written as they are, but too many of them.
    wide = {"EventID": 1, **{f"D{i}": i for i in range(2_001)}}
    with pytest.raises(ParseError, match="more than 2000 keys"):
        windows_nxlog._fields_by_plan(wide, escaped=False, exact=True)
    # Left-out keys (null values) count, as the split counts them.
    nulls = {"EventID": 1, **{f"D{i}": None for i in range(2_000)}}
    with pytest.raises(ParseError, match="more than 2000 keys"):
        windows_nxlog._fields_by_plan(nulls, escaped=False, exact=True)


def test_the_plans_kept_are_bounded_by_count_and_record_size() -> None:
    for shape in range(windows_nxlog._PLANS_KEPT + 40):
        text = f'{{"EventID": 1, "Channel": "Security", "Only{shape}": "x"}}'
        assert parse_windows(text, ORIGIN)[f"winlog.event_data.Only{shape}"] == "x"
        assert len(windows_nxlog._PLANS[False]) <= windows_nxlog._PLANS_KEPT
    wide = {"EventID": 1, **{f"W{i}": i for i in range(windows_nxlog._PLAN_KEYS + 1)}}
    windows_nxlog._fields_by_plan(wide, escaped=False, exact=True)
    assert tuple(wide) not in windows_nxlog._PLANS[False]
