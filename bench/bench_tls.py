"""What TLS costs the network sources: syslog over TCP and HTTP ingest, plaintext and TLS side by
side in one run, with the ratio.

Each case starts the real source on loopback (a fresh certificate from a throwaway CA for the
TLS cases, made with trustme) feeding a MemoryTransport whose batches a drain thread
acknowledges at once, so the listener, not a store, is what is measured. Records are about
200 bytes of RFC 5424 with Vietnamese text.

- syslog TCP: 4 connections, each sending its share octet-counted in 64 KiB writes;
- HTTP keep-alive: 4 clients, each POSTing NDJSON bodies of 100 records on one connection;
- HTTP new connection per request: the same with a TCP (and TLS) handshake per body.

    .venv/bin/python bench/bench_tls.py [--records 200000] [--requests 400]

The clients run in the same process (threads), so on a small machine both sides share its
cores: the ratio is what matters, not the absolute rate.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import trustme

from canhgac.config import HttpSourceConfig, SyslogTcpSourceConfig
from ingest.sources.http import HttpSource
from ingest.sources.listener import ServerSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.transport.memory import MemoryTransport

CLIENTS = 4
HTTP_BATCH = 100
TEXT = "Đăng nhập thất bại cho người dùng nguyễn.văn.an từ 113.160.4.7 cổng 51234 ssh2"


class Drain:
    """Acknowledges every batch at once and counts the records."""

    def __init__(self, transport: MemoryTransport) -> None:
        self.transport = transport
        self.records = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self.transport.receive(0.05)
            if batch is not None:
                self.records += len(batch.events) + len(batch.dead_letters)
                batch.ack()

    def wait(self, records: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.records < records:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.records} of {records} records arrived")
            time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Certificates:
    def __init__(self, directory: Path) -> None:
        ca = trustme.CA()
        server = ca.issue_cert("localhost", "127.0.0.1")
        self.cert_file, self.key_file = directory / "server.crt", directory / "server.key"
        server.cert_chain_pems[0].write_to_path(str(self.cert_file))
        server.private_key_pem.write_to_path(str(self.key_file))
        self.client = ssl.create_default_context()
        ca.configure_trust(self.client)

    def tls(self) -> dict[str, Any]:
        return {"cert_file": str(self.cert_file), "key_file": str(self.key_file)}


@contextmanager
def running(source: ServerSource, transport: MemoryTransport) -> Iterator[Drain]:
    drain = Drain(transport)
    source.start()
    try:
        yield drain
    finally:
        source.stop()
        drain.stop()
        transport.close()


def _threads(work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _connect(address: tuple[str, int], context: ssl.SSLContext | None) -> socket.socket:
    raw = socket.create_connection(address)
    return raw if context is None else context.wrap_socket(raw, server_hostname="localhost")


# --- the cases --------------------------------------------------------------------------------
def syslog_rate(records: int, certificates: Certificates | None) -> float:
    transport = MemoryTransport(256)
    tls = certificates.tls() if certificates else None
    config = SyslogTcpSourceConfig(name="bench-tcp", port=0, parser="rfc5424", tls=tls)
    source = SyslogTcpSource(config, transport)
    context = certificates.client if certificates else None
    each = records // CLIENTS

    def wire(client: int) -> bytes:
        frames = []
        for n in range(each):
            message = (
                f"<38>1 2026-11-27T10:00:00.{n % 1000:03d}+07:00 hn-portal-{client:02d} sshd "
                f"{1000 + n % 3000} - - {TEXT} #{n}"
            ).encode()
            frames.append(str(len(message)).encode() + b" " + message)
        return b"".join(frames)

    wires = [wire(client) for client in range(CLIENTS)]

    def send(client: int) -> None:
        with _connect(source.address, context) as connection:
            data = memoryview(wires[client])
            for start in range(0, len(data), 65536):
                connection.sendall(data[start : start + 65536])

    with running(source, transport) as drain:
        started = time.perf_counter()
        _threads(send)
        drain.wait(each * CLIENTS)
        return each * CLIENTS / (time.perf_counter() - started)


def http_rate(requests: int, certificates: Certificates | None, keep_alive: bool) -> float:
    transport = MemoryTransport(256)
    tls = certificates.tls() if certificates else None
    config = HttpSourceConfig(name="bench-http", port=0, tls=tls)
    source = HttpSource(config, transport)
    each = requests // CLIENTS

    def body(client: int, request: int) -> bytes:
        lines = (
            f'{{"message": "{TEXT}", "host": {{"name": "hn-portal-{client:02d}"}}, '
            f'"n": {request * HTTP_BATCH + n}}}'
            for n in range(HTTP_BATCH)
        )
        return ("\n".join(lines) + "\n").encode()

    bodies = [[body(client, r) for r in range(each)] for client in range(CLIENTS)]

    def connection() -> http.client.HTTPConnection:
        host, port = source.address
        if certificates is None:
            return http.client.HTTPConnection(host, port, timeout=30)
        return http.client.HTTPSConnection("localhost", port, context=certificates.client)

    def post(client: int) -> None:
        open_connection = connection()
        for data in bodies[client]:
            open_connection.request(
                "POST", "/ingest", data, {"Content-Type": "application/x-ndjson"}
            )
            response = open_connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            if not keep_alive:
                open_connection.close()
                open_connection = connection()
        open_connection.close()

    with running(source, transport) as drain:
        started = time.perf_counter()
        _threads(post)
        drain.wait(each * CLIENTS * HTTP_BATCH)
        return each * CLIENTS * HTTP_BATCH / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="syslog records per case")
    parser.add_argument("--requests", type=int, default=400, help="HTTP bodies per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        certificates = Certificates(Path(directory))
        cases: list[tuple[str, Callable[[Certificates | None], float]]] = [
            (f"syslog TCP, {CLIENTS} connections", lambda c: syslog_rate(args.records, c)),
            (
                f"HTTP NDJSON keep-alive, {CLIENTS} clients",
                lambda c: http_rate(args.requests, c, keep_alive=True),
            ),
            (
                "HTTP NDJSON, a connection per body",
                lambda c: http_rate(args.requests, c, keep_alive=False),
            ),
        ]
        print(f"{'records/s':<40}{'plaintext':>12}{'TLS':>12}{'TLS/plain':>11}")
        for name, rate in cases:
            plain, secured = rate(None), rate(certificates)
            print(f"{name:<40}{plain:>12,.0f}{secured:>12,.0f}{secured / plain:>11.2f}")


if __name__ == "__main__":
    main()
