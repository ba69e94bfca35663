"""HTTP JSON intake: ``POST /ingest`` (or ``/``) with JSON or NDJSON, ``GET /healthz``.

A request is answered 200 only after its batch is acknowledged, i.e. durably stored, so a
client that retries on any error gets at-least-once delivery; the ids of a retried request are
the same (see :mod:`ingest.sources.http_body`), so the store keeps one copy.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from canhgac.config import HttpSourceConfig
from canhgac.errors import TransportError
from canhgac.text import dumps
from canhgac.timeutil import now_iso
from ingest.parse.base import Origin
from ingest.sources.addresses import family_for, peer_text
from ingest.sources.connections import ConnectionGate, GatedServer, limits_of
from ingest.sources.deadline_reader import DeadlineReader
from ingest.sources.http_body import DecodedBody, decode_json, decode_ndjson
from ingest.sources.http_tokens import SenderTokens
from ingest.sources.idempotency import RecentKeys, request_key
from ingest.sources.listener import ServerSource
from ingest.sources.tls import TlsServer, acceptor
from ingest.transport.base import Batch, Sender

log = logging.getLogger(__name__)

INGEST_PATHS = frozenset({"/", "/ingest"})
JSON_TYPES = frozenset({"", "application/json", "text/json"})
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
MAX_IDEMPOTENCY_KEY = 256
# A refused request's unread body is discarded for at most this long / this much.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 * 1024 * 1024

Reply = tuple[HTTPStatus, dict[str, Any]]


class HttpSource(ServerSource):
    protocol = "http"

    def __init__(
        self, config: HttpSourceConfig, sender: Sender, *, ack_timeout: float = 30.0
    ) -> None:
        super().__init__(config.name)
        self._config = config
        self.tls = acceptor(config.tls, config.name, self._stopping)
        self._sender = sender
        self._ack_timeout = ack_timeout
        self._identity = f"http:{config.name}"
        self._tokens = SenderTokens(config)
        self._recent_keys = RecentKeys()
        self.connections = ConnectionGate(config.name, limits_of(config))

    @property
    def config(self) -> HttpSourceConfig:
        return self._config

    def _make_server(self) -> _Server:
        return _Server(self, (self._config.host, self._config.port))

    def _interrupt(self) -> None:
        super()._interrupt()  # no new connections from here on
        self.connections.end_all()

    # --- the request, without HTTP --------------------------------------------------------
    def sender(self, authorization: str | None, peer_host: str) -> str | None:
        """Who sends (a token's name, or the address if the source has no token); None:
        refused."""
        return self._tokens.sender(authorization, peer_host)

    def ingest(
        self,
        body: bytes,
        content_type: str,
        idempotency_key: str | None,
        peer: str,
        sender: str,
    ) -> Reply:
        media_type = content_type.partition(";")[0].strip().lower()
        ndjson = media_type in NDJSON_TYPES
        if not ndjson and media_type not in JSON_TYPES and not media_type.endswith("+json"):
            return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": f"unsupported {media_type!r}"}
        if idempotency_key is not None and not (
            0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY and idempotency_key.isprintable()
        ):
            return HTTPStatus.BAD_REQUEST, {"error": "invalid Idempotency-Key"}
        if not body.strip():
            return HTTPStatus.BAD_REQUEST, {"error": "empty body", "line": 1}
        origin = Origin(
            source=self.name,
            identity=self._identity,
            received_at=now_iso(),
            parser=self._config.parser,
            encoding="utf-8",  # the objects are re-serialized as UTF-8 JSON
            dataset=self._config.dataset,
            timezone=self._config.timezone,
            year=self._config.year,
            peer=peer,
        )
        decoded = (decode_ndjson if ndjson else decode_json)(
            body, origin, lambda digest: request_key(sender, idempotency_key, digest)
        )
        if idempotency_key and not self._recent_keys.claim(sender, idempotency_key, decoded.digest):
            return HTTPStatus.UNPROCESSABLE_ENTITY, {
                "error": "Idempotency-Key already used for a different body"
            }
        if not self._store(decoded):
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "not stored in time; retry"}
        if decoded.error is not None:
            return HTTPStatus.BAD_REQUEST, {"error": decoded.error, "line": decoded.line}
        return HTTPStatus.OK, {
            "accepted": len(decoded.events),
            "dead_lettered": len(decoded.dead_letters),
        }

    def _store(self, decoded: DecodedBody) -> bool:
        """Send the records and wait until the store has them."""
        if not decoded.events and not decoded.dead_letters:
            return True
        acked = threading.Event()
        try:
            self._sender.send(Batch(decoded.events, decoded.dead_letters, acked.set))
        except TransportError as exc:
            log.warning("%s: transport refused a request: %s", self.name, exc)
            return False
        return acked.wait(self._ack_timeout)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    _sender: str | None = None

    def setup(self) -> None:
        config = self.server.source.config
        super().setup()
        self._write_timeout = config.read_timeout.total_seconds()
        self.rfile.close()  # replaced: reads get whole-request deadlines
        self._reader = DeadlineReader(
            self.connection,
            idle=config.idle_timeout.total_seconds(),
            request=config.read_timeout.total_seconds(),
        )
        self.rfile = io.BufferedReader(self._reader, max(self.rbufsize, io.DEFAULT_BUFFER_SIZE))

    def handle_one_request(self) -> None:
        self._reader.between_requests()
        self._sender = None
        super().handle_one_request()

    def do_GET(self) -> None:  # the name http.server dispatches to
        if urlsplit(self.path).path == "/healthz":
            self._reply(HTTPStatus.OK, {"status": "ok"})
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_POST(self) -> None:
        if self._sender is None and not self._acceptable():
            return
        source = self.server.source
        body = self._read_body(source.config.max_body_bytes)
        if body is None or self._sender is None:
            return
        status, payload = source.ingest(
            body,
            self.headers.get("Content-Type", ""),
            self.headers.get("Idempotency-Key"),
            peer_text(self.client_address),
            self._sender,
        )
        self._reply(status, payload)

    def handle_expect_100(self) -> bool:
        # A client asking "Expect: 100-continue" learns of a refusal before sending the body.
        return (self.command != "POST" or self._acceptable()) and super().handle_expect_100()

    def _acceptable(self) -> bool:
        """Path, token and announced size, checked before any of the body is read; the
        refusals close the connection, or the unread body would be taken for a request."""
        source = self.server.source
        if urlsplit(self.path).path not in INGEST_PATHS:
            self._refuse(HTTPStatus.NOT_FOUND, {"error": "not found"})
            return False
        self._sender = source.sender(self.headers.get("Authorization"), self.client_address[0])
        if self._sender is None:
            self._refuse(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong token"})
            return False
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > source.config.max_body_bytes:
            self._too_large(source.config.max_body_bytes)
            return False
        return True

    def _read_body(self, limit: int) -> bytes | None:
        """The body, or None after replying with the reason it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._refuse(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
            return None
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError(length_header)
        except ValueError:
            self._refuse(HTTPStatus.BAD_REQUEST, {"error": "invalid Content-Length"})
            return None
        if length > limit:
            self._too_large(limit)
            return None
        body = self.rfile.read(length)
        if len(body) < length:  # the client went away mid-body
            self.close_connection = True
            return None
        return body

    def _read_chunked(self, limit: int) -> bytes | None:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                self._refuse(HTTPStatus.BAD_REQUEST, {"error": "invalid chunk size"})
                return None
            if size == 0:
                break
            if len(body) + size > limit:
                self._too_large(limit)
                return None
            chunk = self.rfile.read(size)
            self.rfile.readline(1024)  # the CRLF after the chunk
            if len(chunk) < size:
                self.close_connection = True
                return None
            body += chunk
        for _ in range(100):  # trailer fields, up to the empty line
            if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                break
        return bytes(body)

    def _too_large(self, limit: int) -> None:
        self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body exceeds {limit} bytes"})

    def _refuse(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        """Reply and close while the body is (partly) unread. Closing a socket with unread
        input resets the connection, and the client would see the reset, not the reply:
        so stop writing, then read and discard for a bounded time first (a lingering close)."""
        self._reply(status, payload, close=True)
        self.wfile.flush()
        deadline = time.monotonic() + LINGER_SECONDS
        discarded = 0
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while discarded < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                data = self.connection.recv(65536)
                if not data:
                    break
                discarded += len(data)
        except OSError:
            pass

    def _reply(self, status: HTTPStatus, payload: dict[str, Any], close: bool = False) -> None:
        data = dumps(payload).encode("utf-8")
        self.connection.settimeout(self._write_timeout)  # reads set their own deadlines
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", "Bearer")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # base signature
        log.debug("%s: %s - %s", self.server.source.name, self.address_string(), format % args)


class _Server(GatedServer, TlsServer):
    def __init__(self, source: HttpSource, address: tuple[str, int]) -> None:
        self.address_family = family_for(address[0])
        self.source = source
        self.tls = source.tls
        super().__init__(source.connections, address, _Handler)
