"""FortiGate key=value parsing costs linear time whatever a hostile record looks like, and a
record with thousands of pairs does not become thousands of fields (issue 10, L).

Timed as ratios (4n vs n, CPU time, best of a few runs; super-linear was 11-33), not
absolute times: the suite runs on a loaded machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ingest.parse.base import Origin
from ingest.parse.fortigate import MAX_PAIRS, parse_fortigate

HEADER = 'date=2024-03-05 time=14:02:11 devname="FGT-HN-01" devid="FG100F" type="traffic" '
ORIGIN = Origin(source="fw", identity="test", received_at="2024-03-05T07:02:11.000000Z")

SHAPES: dict[str, Callable[[int], str]] = {
    "many pairs": lambda n: HEADER + " ".join(f"k{i}=v{i}" for i in range(n // 10)),
    "many quoted pairs": lambda n: (
        "<189>" + HEADER + " ".join(f'k{i}="v {i}"' for i in range(n // 12))
    ),
    "unclosed quote of escapes": lambda n: HEADER + 'msg="' + "\\a" * (n // 2),
    "a run of backslashes": lambda n: HEADER + 'msg="' + "\\" * n,
    "equals signs": lambda n: HEADER + "=" * n,
    "words without values": lambda n: HEADER + "tu " * (n // 3),
}


def _best_of(runs: int, text: str) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        parse_fortigate(text, ORIGIN)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_hostile_records_cost_linear_time(shape: str) -> None:
    make = SHAPES[shape]
    small = _best_of(5, make(256 * 1024))
    large = _best_of(5, make(1024 * 1024))
    assert large / small < 8, (small, large)  # quadratic: about 16


def test_a_record_with_thousands_of_pairs_keeps_the_first_ones_and_says_so() -> None:
    fields = parse_fortigate(HEADER + " ".join(f"k{i}=v{i}" for i in range(20_000)), ORIGIN)
    kept = [key for key in fields if key.startswith("fortinet.firewall.k")]
    assert len(kept) == MAX_PAIRS - 5  # the header's five pairs come first
    assert fields["fortinet.firewall.k0"] == "v0" and fields["event.fields_truncated"] is True
    assert fields["observer.name"] == "FGT-HN-01"


def test_escapes_are_still_undone() -> None:
    fields = parse_fortigate(HEADER + r'msg="quyền \"admin\" bị từ chối \\ lần 2"', ORIGIN)
    assert fields["message"] == 'quyền "admin" bị từ chối \\ lần 2'
    assert "event.fields_truncated" not in fields
