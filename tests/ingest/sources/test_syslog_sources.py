"""Syslog over UDP and TCP on 127.0.0.1, through the real transport, indexer and store."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from canhgac.config import SyslogTcpSourceConfig, SyslogUdpSourceConfig
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.sources.syslog_udp import SyslogUdpSource

Pipeline = Any  # the conftest harness: store, transport, indexer
Wait = Callable[..., None]


@pytest.fixture
def udp(pipeline: Pipeline) -> Iterator[SyslogUdpSource]:
    pipeline.start_indexer()
    config = SyslogUdpSourceConfig(name="udp", port=0, parser="raw")
    with SyslogUdpSource(config, pipeline.transport, batch_wait=0.01) as source:
        yield source


@pytest.fixture
def tcp(pipeline: Pipeline) -> Iterator[SyslogTcpSource]:
    pipeline.start_indexer()
    config = SyslogTcpSourceConfig(name="tcp", port=0, parser="raw", max_message_bytes=64)
    with SyslogTcpSource(config, pipeline.transport, batch_wait=0.01) as source:
        yield source


@contextmanager
def _connect(source: SyslogTcpSource) -> Iterator[socket.socket]:
    client = socket.create_connection(source.address)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield client
    finally:
        client.close()


def _octets(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message


# --- UDP ------------------------------------------------------------------------------------
def test_udp_datagrams_each_become_one_record(
    udp: SyslogUdpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    garbage = bytes(range(256)) * 200  # binary and large; must not be lost or crash anything
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for message in (b"<13>Nov 27 hai\n", b"<13>Nov 27 ba\x00", "<13>tiếng Việt".encode()):
            client.sendto(message, udp.address)
        client.sendto(garbage, udp.address)
        wait_until(lambda: pipeline.records() == 4)
        client.sendto(b"<13>Nov 27 hai\n", udp.address)  # the same bytes again: a new record
        wait_until(lambda: pipeline.records() == 5)
    originals = pipeline.originals()
    assert originals.count("<13>Nov 27 hai") == 2
    assert "<13>Nov 27 ba" in originals and "<13>tiếng Việt" in originals


# --- TCP ------------------------------------------------------------------------------------
def test_tcp_newline_framing_with_crlf_and_nul(
    tcp: SyslogTcpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    with _connect(tcp) as client:
        client.sendall(b"<13>mot\n<13>hai\r\n<13>ba\x00<13>bon without newline")
    wait_until(lambda: pipeline.store.count_events() == 4)
    assert pipeline.originals() == sorted(
        ["<13>mot", "<13>hai", "<13>ba", "<13>bon without newline"]
    )


def test_tcp_octet_counting_split_across_segments_and_two_in_one(
    tcp: SyslogTcpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    first, second, third = b"<13>split frame", b"<13>one", b"<13>two \xe2\x80\x94 \xc4\x91"
    with _connect(tcp) as client:
        wire = _octets(first)
        client.sendall(wire[:1])  # inside the count
        time.sleep(0.05)
        client.sendall(wire[1:6])
        time.sleep(0.05)
        client.sendall(wire[6:])
        client.sendall(_octets(second) + _octets(third))
    wait_until(lambda: pipeline.store.count_events() == 3)
    assert pipeline.originals() == sorted(["<13>split frame", "<13>one", "<13>two — đ"])


def test_tcp_oversized_and_malformed_frames_are_dead_letters_then_resync(
    tcp: SyslogTcpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    with _connect(tcp) as client:
        client.sendall(_octets(b"x" * 100) + b"<13>after octets\n")
        client.sendall(b"0 bad count\n<13>after bad count\n")
        client.sendall(b"<13>" + b"y" * 300 + b"\n<13>after long line\n")
    wait_until(lambda: pipeline.records() == 6)
    after = ["<13>after bad count", "<13>after long line", "<13>after octets"]
    assert pipeline.originals() == after
    reasons = sorted(d.reason for d in pipeline.dead_letters())
    assert reasons == [
        "frame exceeds 64 bytes (octet count 100); first 64 bytes kept",
        "frame exceeds 64 bytes; first 64 bytes kept",
        "malformed octet count '0': leading zero",
    ]


def test_tcp_reset_mid_frame_keeps_what_arrived_and_the_server_serving(
    tcp: SyslogTcpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    with _connect(tcp) as client:
        client.sendall(b"<13>complete\n40 <13>cut off")
        time.sleep(0.05)
        # SO_LINGER 0: close() sends a RST instead of a FIN.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    wait_until(lambda: pipeline.records() == 2)
    [dead] = pipeline.dead_letters()
    assert dead.reason.startswith("connection closed mid-frame")
    assert dead.raw == b"<13>cut off"
    with _connect(tcp) as client:
        client.sendall(b"<13>still serving\n")
    wait_until(lambda: pipeline.store.count_events() == 2)


def test_tcp_many_concurrent_connections_each_their_own_stream(
    tcp: SyslogTcpSource, pipeline: Pipeline, wait_until: Wait
) -> None:
    def send(client_no: int) -> None:
        with _connect(tcp) as client:
            for line in range(50):
                client.sendall(_octets(f"<13>same text {line % 5}".encode()))
            client.sendall(f"<13>client {client_no}\n".encode())

    threads = [threading.Thread(target=send, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Identical lines on different connections (or at different positions) are distinct.
    wait_until(lambda: pipeline.store.count_events() == 10 * 51)
    assert pipeline.originals().count("<13>same text 0") == 100
