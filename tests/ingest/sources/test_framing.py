"""RFC 6587 frame decoding, fed in one piece and byte by byte."""

from __future__ import annotations

import pytest

from ingest.sources.framing import Frame, FrameDecoder


def _decode(stream: bytes, max_bytes: int = 64, *, step: int | None = None) -> list[Frame]:
    decoder = FrameDecoder(max_bytes)
    frames: list[Frame] = []
    size = step or len(stream) or 1
    for start in range(0, len(stream), size):
        frames.extend(decoder.feed(stream[start : start + size]))
    return frames + decoder.finish()


def _octets(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


MIXED = (
    b"<13>newline framed\n" + _octets(b"<13>octet counted") + b"<14>crlf framed\r\n"
    b"<15>nul framed\x00"
    b"2026-11-27 digits then text is a line\n"
    + _octets(b"multi\nline")
    + b"\n\n<16>after blank lines\n"
)
MIXED_FRAMES = [
    Frame(b"<13>newline framed"),
    Frame(b"<13>octet counted"),
    Frame(b"<14>crlf framed"),
    Frame(b"<15>nul framed"),
    Frame(b"2026-11-27 digits then text is a line"),
    Frame(b"multi\nline"),
    Frame(b"<16>after blank lines"),
]


@pytest.mark.parametrize("step", [None, 1, 2, 7])
def test_both_framings_are_detected_per_frame_however_the_bytes_arrive(step: int | None) -> None:
    assert _decode(MIXED, step=step) == MIXED_FRAMES


def test_oversized_octet_frame_is_skipped_by_exactly_its_count() -> None:
    body = b"x" * 100 + b"\n" + b"y" * 19  # newlines inside must not resync early
    frames = _decode(b"120 " + body + b"5 hello", max_bytes=16, step=10)
    assert [f.error is not None for f in frames] == [True, False]
    assert frames[0].data == b"x" * 16
    assert "octet count 120" in (frames[0].error or "")
    assert frames[1] == Frame(b"hello")


def test_oversized_line_resyncs_at_the_next_newline() -> None:
    frames = _decode(b"<13>" + b"z" * 200 + b"\n<13>ok\n", max_bytes=16, step=5)
    assert frames[0].data == b"<13>" + b"z" * 12
    assert frames[0].error == "frame exceeds 16 bytes; first 16 bytes kept"
    assert frames[1:] == [Frame(b"<13>ok")]


@pytest.mark.parametrize(
    ("stream", "reason"),
    [
        (b"0 abc\n", "leading zero"),
        (b"012 abc\n", "leading zero"),
        (b"12345678901 abc\n", "more than 10 digits"),
    ],
)
def test_malformed_octet_count_is_a_dead_frame_and_the_next_line_is_read(
    stream: bytes, reason: str
) -> None:
    frames = _decode(stream + b"<13>next\n")
    assert frames[0].data == stream.rstrip(b"\n")
    assert reason in (frames[0].error or "")
    assert frames[1:] == [Frame(b"<13>next")]


def test_connection_ending_mid_frame() -> None:
    assert _decode(b"<13>no trailing newline") == [Frame(b"<13>no trailing newline")]
    [cut] = _decode(b"50 only part")
    assert cut.data == b"only part"
    assert cut.error == "connection closed mid-frame: 9 of 50 bytes received"


def test_memory_stays_bounded_on_an_endless_line() -> None:
    decoder = FrameDecoder(1024)
    frames = [f for _ in range(100) for f in decoder.feed(b"a" * 65536)]
    assert len(frames) == 1 and len(frames[0].data) == 1024
    assert decoder.finish() == []
    assert decoder.feed(b"ok\n") == [Frame(b"ok")]
