"""Timestamp normalisation helpers shared by the parsers, and the small ECS helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from canhgac.timeutil import to_iso
from ingest.parse.ecs import is_ip, put_address, transport
from ingest.parse.timestamps import any_time, canonical, clf, epoch, epoch_text, iso8601

HANOI = "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 5, 7, 2, 11),
        datetime(2024, 3, 5, 7, 2, 11, 5),
        datetime(2024, 3, 5, 14, 2, 11, 123000, tzinfo=timezone(timedelta(hours=7))),
        datetime(2024, 3, 5, 2, 2, 11, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2024, 3, 5, 7, 2, 11, 999999, tzinfo=UTC),
    ],
)
def test_canonical_matches_the_kernel_format(moment: datetime) -> None:
    assert canonical(moment) == to_iso(moment)
    assert len(canonical(moment)) == 27


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1709622131, "2024-03-05T07:02:11.000000Z"),
        (1709622131.5, "2024-03-05T07:02:11.500000Z"),
        (1709622131482, "2024-03-05T07:02:11.482000Z"),
        (1709622131482113, "2024-03-05T07:02:11.482113Z"),
        (1709622131482113999, "2024-03-05T07:02:11.482113Z"),
        (0, "1970-01-01T00:00:00.000000Z"),
        (float("nan"), None),
        (float("inf"), None),
        (10**30, None),
    ],
)
def test_epoch_scales(value: float, expected: str | None) -> None:
    assert epoch(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1709622131", "2024-03-05T07:02:11.000000Z"),
        ("1709622131.25", "2024-03-05T07:02:11.250000Z"),
        ("", None),
        ("12ab", None),
        ("9" * 30, None),
    ],
)
def test_epoch_text(text: str, expected: str | None) -> None:
    assert epoch_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T14:02:11+07:00", "2024-03-05T07:02:11.000000Z"),
        ("2024-03-05T07:02:11.123456789Z", "2024-03-05T07:02:11.123456Z"),
        ("2024-03-05 14:02:11", "2024-03-05T07:02:11.000000Z"),
        ("2024-03-05T14:02:11+0700", "2024-03-05T07:02:11.000000Z"),
        ("05/03/2024", None),
        ("x" * 100, None),
    ],
)
def test_iso8601(text: str, expected: str | None) -> None:
    assert iso8601(text, HANOI) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/Mar/2024:14:02:11 +0700", "2024-03-05T07:02:11.000000Z"),
        ("05/Mar/2024:14:02:11.250 -0330", "2024-03-05T17:32:11.250000Z"),
        ("31/Dec/2023:23:59:59 +0000", "2023-12-31T23:59:59.000000Z"),
        ("05/Mar/2024:14:02:11 +07", None),
        ("05/Mär/2024:14:02:11 +0700", None),
        ("garbage", None),
    ],
)
def test_clf(text: str, expected: str | None) -> None:
    assert clf(text) == expected


def test_any_time_rejects_non_times() -> None:
    assert any_time(True, HANOI) is None
    assert any_time({"a": 1}, HANOI) is None
    assert any_time(" 1709622131 ", HANOI) == "2024-03-05T07:02:11.000000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.5", True),
        ("256.1.1.1", False),
        ("2001:db8::1", True),
        ("fe80::1%eth0", True),
        ("::", True),
        ("dichvucong.hanoi.gov.vn", False),
        ("1.2.3", False),
        ("a:b", False),
    ],
)
def test_is_ip(text: str, expected: bool) -> None:
    assert is_ip(text) is expected


def test_put_address() -> None:
    fields: dict[str, object] = {}
    put_address(fields, "source", "[2001:db8::1]")
    put_address(fields, "destination", "web01.hanoi.gov.vn")
    put_address(fields, "client", "-")
    assert fields == {"source.ip": "2001:db8::1", "destination.domain": "web01.hanoi.gov.vn"}


@pytest.mark.parametrize(
    ("proto", "expected"),
    [("6", "tcp"), ("17", "udp"), ("1", "icmp"), ("99", "99"), ("TCP", "tcp")],
)
def test_transport(proto: str, expected: str) -> None:
    assert transport(proto) == expected
