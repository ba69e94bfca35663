"""The TCP framer reads each byte once: a long line in small reads costs linear time.

The hardening review (issue 10) measured 0.57 s of CPU for one 1 MB line sent in 1 KB pieces:
every read rescanned the whole partial line. Timed as a ratio (4n vs n, CPU time, best of a
few runs; the rescanning gave about 12), so a loaded machine does not decide the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ingest.sources.framing import FrameDecoder

PIECE = 1024


def _best_of(runs: int, work: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _one_line_in_pieces(size: int) -> Callable[[], None]:
    piece = b"a" * PIECE

    def work() -> None:
        decoder = FrameDecoder(max_message_bytes=8 * 1024 * 1024)
        for _ in range(size // PIECE):
            assert decoder.feed(piece) == []
        [frame] = decoder.feed(b"\n")
        assert len(frame.data) == size and frame.error is None

    return work


def test_a_line_fed_in_small_pieces_costs_linear_time() -> None:
    small = _best_of(5, _one_line_in_pieces(256 * 1024))
    large = _best_of(5, _one_line_in_pieces(1024 * 1024))
    assert large / small < 8, (small, large)  # quadratic: about 16


def test_an_oversized_line_in_small_pieces_costs_linear_time() -> None:
    def oversized(size: int) -> Callable[[], None]:
        def work() -> None:
            decoder = FrameDecoder(max_message_bytes=64 * 1024)
            frames = []
            for _ in range(size // PIECE):
                frames += decoder.feed(b"b" * PIECE)
            frames += decoder.feed(b"\nnext\n")
            assert [f.data for f in frames[1:]] == [b"next"] and frames[0].error

        return work

    small = _best_of(5, oversized(1024 * 1024))
    large = _best_of(5, oversized(4 * 1024 * 1024))
    assert large / small < 8, (small, large)  # quadratic: about 16
