"""event_id: deterministic, collision-free within a stream, stream order preserved."""

from __future__ import annotations

import random
import re

import pytest

from canhgac.models import event_id

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("position", [0, 4096, 2**64 - 1, 2**64, -1, "key:7", "", True])
def test_id_is_32_hex_digits_and_deterministic(position: int | str) -> None:
    first = event_id("file:1234:abcd", position)
    assert HEX32.fullmatch(first)
    assert event_id("file:1234:abcd", position) == first


def test_ids_of_a_stream_sort_in_position_order() -> None:
    positions = random.Random(7).sample(range(2**40), 500) + [0, 2**64 - 1]
    by_id = sorted(positions, key=lambda p: event_id("syslog-udp:edge", p))
    assert by_id == sorted(positions)


def test_ids_differ_across_positions_and_streams() -> None:
    positions: list[int | str] = [0, 1, 255, 256, 2**63, 2**64, -1, "1", "0:1", "0:2"]
    ids = {event_id(stream, p) for stream in ("file:1:a", "file:1:b") for p in positions}
    assert len(ids) == 2 * len(positions)
    # The stream is the first half: one stream's ids share it, another's do not.
    assert event_id("file:1:a", 5)[:16] == event_id("file:1:a", "x")[:16]
    assert event_id("file:1:a", 5)[:16] != event_id("file:1:b", 5)[:16]
