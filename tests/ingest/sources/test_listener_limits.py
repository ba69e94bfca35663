"""Stream listeners cannot be exhausted: connection limits, idle and read deadlines, stop.

Each case is an attack from the hardening review (issue 10, H1) run on loopback against a
real source: the attacker's connections cost that source its slots, bounded, and never a
flood of log lines; what is served keeps being served.
"""

from __future__ import annotations

import http.client
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from canhgac.config import HttpSourceConfig, SyslogTcpSourceConfig
from ingest.sources.http import HttpSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from tests.support.city_traffic import wait_for

Pipeline = Any  # the conftest harness: store, transport, indexer
Listener = SyslogTcpSource | HttpSource


def _tcp(pipeline: Pipeline, **options: Any) -> SyslogTcpSource:
    config = SyslogTcpSourceConfig(name="tcp", port=0, **options)
    return SyslogTcpSource(config, pipeline.transport, batch_wait=0.01)


def _http(pipeline: Pipeline, **options: Any) -> HttpSource:
    return HttpSource(HttpSourceConfig(name="web", port=0, **options), pipeline.transport)


def _connect(source: Listener, bind: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.bind((bind, 0))
    sock.connect(source.address)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True if the server closed the connection (EOF or reset) within ``within`` s."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def _idle(source: Listener, count: int) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(_connect(source)) for _ in range(count)]
        yield sockets


def _healthz_seconds(source: HttpSource) -> float:
    started = time.monotonic()
    connection = http.client.HTTPConnection(*source.address, timeout=10)
    try:
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
    finally:
        connection.close()
    return time.monotonic() - started


@pytest.mark.parametrize("make", [_tcp, _http], ids=["syslog_tcp", "http"])
def test_connections_over_the_limit_are_closed_at_once_and_logged_once(
    make: Any, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline.start_indexer()
    caplog.set_level(logging.INFO)
    with make(pipeline, max_connections=20, max_connections_per_address=1000) as source:
        with _idle(source, 300) as sockets:
            wait_for(lambda: sum(source.connections.rejected().values()) >= 280, 20, "refusals")
            assert source.connections.open == 20
            assert source.connections.rejected()["max_connections"] == 280
            # The refused ones were closed by the server, not left hanging.
            assert all(_closed_by_server(sock, 5) for sock in sockets[20:])
            assert not _closed_by_server(sockets[0], 0.2)
        refusals = [r for r in caplog.records if "refusing a connection" in r.getMessage()]
        assert len(refusals) == 1 and not any(r.exc_info for r in caplog.records)
        # Slots come back when the connections end.
        wait_for(lambda: source.connections.open == 0, 10, "the slots to be freed")


def test_per_address_limit_leaves_room_for_other_senders(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with _tcp(pipeline, max_connections=100, max_connections_per_address=5) as source:
        with _idle(source, 8) as attacker:
            assert all(not _closed_by_server(sock, 0.2) for sock in attacker[:5])
            assert all(_closed_by_server(sock, 5) for sock in attacker[5:])
            with _connect(source, bind="127.0.0.2") as sender:
                sender.sendall(b"<13>Mar  5 14:02:11 host app: from another address\n")
            wait_for(lambda: pipeline.records() == 1, 10, "the other sender's message")
        assert source.connections.rejected()["max_connections_per_address"] == 3


def test_an_idle_syslog_connection_is_closed(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with _tcp(pipeline, idle_timeout="300ms") as source, _connect(source) as sock:
        sock.sendall(b"<13>Mar  5 14:02:11 host app: then silence\n")
        assert _closed_by_server(sock, 5)
        wait_for(lambda: pipeline.records() == 1, 10, "the message before the silence")
        wait_for(lambda: source.connections.open == 0, 5, "the slot to be freed")


def test_a_syslog_sender_trickling_one_frame_is_closed_and_its_bytes_dead_lettered(
    pipeline: Pipeline,
) -> None:
    pipeline.start_indexer()
    with _tcp(pipeline, idle_timeout="5s", read_timeout="500ms") as source:
        with _connect(source) as sock:
            started = time.monotonic()
            closed = False
            for _ in range(60):  # one byte every 50 ms: never idle, never a whole frame
                try:
                    sock.sendall(b"x")
                except OSError:
                    closed = True
                    break
                if _closed_by_server(sock, 0.05):
                    closed = True
                    break
            assert closed and time.monotonic() - started < 2.5
        wait_for(lambda: len(pipeline.dead_letters()) == 1, 10, "the partial frame")
        assert set(pipeline.dead_letters()[0].raw) == {ord("x")}


def test_a_busy_syslog_sender_is_not_cut_by_the_frame_deadline(pipeline: Pipeline) -> None:
    """Frames split across reads for longer than read_timeout in total: each is complete
    within it, so the connection stays."""
    pipeline.start_indexer()
    with _tcp(pipeline, read_timeout="300ms") as source, _connect(source) as sock:
        for n in range(8):
            sock.sendall(b"<13>Mar  5 14:02:11 host app: message %d" % n)
            time.sleep(0.1)
            sock.sendall(b"\n<13>Mar  5 14:02:11 host app: part")
            time.sleep(0.05)
            sock.sendall(b"ial %d\n" % n)
        assert not _closed_by_server(sock, 0.1)
    wait_for(lambda: pipeline.records() == 16, 10, "every message")
    assert not pipeline.dead_letters()


def test_an_http_slowloris_is_closed_at_the_request_deadline(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with _http(pipeline, idle_timeout="5s", read_timeout="500ms") as source:
        with _connect(source) as sock:
            started = time.monotonic()
            request = b"POST /ingest HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
            closed = False
            for byte in request:  # one header byte every 50 ms
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                if _closed_by_server(sock, 0.05):
                    closed = True
                    break
            assert closed and time.monotonic() - started < 2.5
        wait_for(lambda: source.connections.open == 0, 5, "the slot to be freed")
        assert _healthz_seconds(source) < 1


def test_an_idle_keep_alive_http_connection_is_closed(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with _http(pipeline, idle_timeout="300ms") as source, _connect(source) as sock:
        assert _closed_by_server(sock, 5)


def test_a_flooded_listener_leaves_the_other_listener_serving(pipeline: Pipeline) -> None:
    pipeline.start_indexer()
    with (
        _tcp(pipeline, max_connections=10, max_connections_per_address=10) as tcp,
        _http(pipeline) as web,
        _idle(tcp, 400),
    ):
        wait_for(lambda: tcp.connections.rejected()["max_connections"] >= 390, 20, "refusals")
        assert max(_healthz_seconds(web) for _ in range(20)) < 1


@pytest.mark.parametrize("make", [_tcp, _http], ids=["syslog_tcp", "http"])
def test_stop_ends_idle_connections_at_once(make: Any, pipeline: Pipeline) -> None:
    source = make(pipeline, idle_timeout="1h")
    source.start()
    with _idle(source, 20):
        wait_for(lambda: source.connections.open == 20, 10, "the connections to be served")
        started = time.monotonic()
        source.stop()
        assert time.monotonic() - started < 2
