"""Timestamp normalisation helpers shared by the parsers, and the small ECS helpers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from canhgac.timeutil import to_iso
from ingest.parse.ecs import is_ip, put_address, transport
from ingest.parse.timestamps import (
    any_time,
    canonical,
    clf,
    epoch,
    epoch_text,
    from_micros,
    iso8601,
    local,
)

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


def _iso8601_reference(text: str, zone: str) -> str | None:
    """The conversion iso8601 caches per second: fromisoformat of the whole text."""
    if len(text) > 64:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return local(moment, zone)


def _iso_cases() -> list[tuple[str, str]]:
    rng = random.Random(20240305)
    zones = [HANOI, "Europe/Berlin", "America/New_York", "UTC"]
    offsets = ["", "Z", "+07:00", "-05:30", "+0700", "+07", "+14:59", "+24:00", "+07:00:30"]
    cases = [
        ("2024-03-31T02:30:00.5", "Europe/Berlin"),  # a wall time DST skips
        ("2024-10-27T02:30:00.25", "Europe/Berlin"),  # one it repeats
        ("0001-01-01T00:00:00.5+01:00", HANOI),  # before year 1 in UTC
        ("9999-12-31T23:59:59.999999-01:00", HANOI),  # after 9999 in UTC
    ]
    for _ in range(3000):
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 8)))
        text = (
            f"{rng.choice([1, 2024, 9999]):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"{rng.choice('TT ,')}{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:"
            f"{rng.randint(0, 61):02d}{rng.choice('.,')}{fraction}{rng.choice(offsets)}"
        )
        cases.append((text, rng.choice(zones)))
    return cases


def test_iso8601_with_a_fraction_equals_converting_the_whole_text() -> None:
    for text, zone in _iso_cases():
        assert iso8601(text, zone) == _iso8601_reference(text, zone), (text, zone)


def test_from_micros_equals_converting_the_whole_value() -> None:
    rng = random.Random(7)
    values = [rng.randint(-(10**17), 10**17) for _ in range(2000)]
    values += [253402300799999999, 253402300800000000, -62135596800000000, -62135596800000001]
    for micros in values:
        try:
            expected: str | None = canonical(datetime(1970, 1, 1) + timedelta(microseconds=micros))
        except OverflowError:
            expected = None
        assert from_micros(micros) == expected, micros
