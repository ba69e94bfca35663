"""The webhook channel against a real HTTP server on 127.0.0.1, through the dispatcher and a
real SQLite outbox: body and headers, retry on 5xx/408/429/network errors, give up on 4xx."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from alerting.notify.dispatcher import Dispatcher
from alerting.notify.webhook import WebhookChannel, webhook_payload
from canhgac.config import WebhookChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert, Notification
from canhgac.store.sqlite.store import SQLiteStore

SECRET = "s3cr3t-Bearer-Token"
URL_TOKEN = "T0KEN-in-the-path"


# --- a real HTTP receiver ---------------------------------------------------------------------
@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers POSTs with the scripted statuses in order, then 200; records every request."""

    statuses: list[int]
    port: int = 0
    received: list[Received] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)
    holding: bool = False  # answer only after ``hold`` is set (the client-timeout test)

    def url(self, path: str = f"/hooks/{URL_TOKEN}?team=soc") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _ReceiverServer

    def do_POST(self) -> None:  # http.server hook name
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        if receiver.holding:
            receiver.hold.wait(5)
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        reply = f"status {status}\x1b[31m\nsee docs".encode()
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass


class _ReceiverServer(HTTPServer):
    def __init__(self, receiver: Receiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = receiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client that timed out has gone away; nothing to report


@pytest.fixture
def serve() -> Iterator[Callable[..., Receiver]]:
    started: list[tuple[Receiver, _ReceiverServer, threading.Thread]] = []

    def start(*statuses: int, holding: bool = False) -> Receiver:
        receiver = Receiver(list(statuses), holding=holding)
        server = _ReceiverServer(receiver)
        receiver.port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        started.append((receiver, server, thread))
        return receiver

    yield start
    for receiver, server, thread in started:
        receiver.hold.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _channel(url: str, **options: Any) -> WebhookChannel:
    return WebhookChannel(WebhookChannelConfig(name="hook", url=url, **options))


def _outbox(
    store: SQLiteStore, alert: Alert, channel: WebhookChannel, clock: Callable[[], datetime]
) -> Dispatcher:
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, [channel.name])
    return Dispatcher(store, {channel.name: channel}, backoff_base=2.0, clock=clock)


def _row(store: SQLiteStore, alert: Alert) -> Notification:
    [row] = store.list_notifications(alert.id)
    return row


# --- tests ------------------------------------------------------------------------------------
def test_posts_the_alert_as_json_with_summary_display_time_and_bearer_secret(
    serve: Callable[..., Receiver], make_alert: Callable[..., Alert]
) -> None:
    receiver = serve(200)
    alert = make_alert()
    _channel(receiver.url(), secret=SECRET).send(alert)

    [request] = receiver.received
    assert request.path == f"/hooks/{URL_TOKEN}?team=soc"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Canhgac-Alert-Id"] == alert.id
    body = json.loads(request.body.decode("utf-8"))
    expected = alert.model_dump(mode="json")
    assert {key: body[key] for key in expected} == expected
    assert body["display_time"] == "2026-11-27 10:04:05 +07 (UTC+07:00)"
    assert body["summary"].startswith("[HIGH] Đăng nhập SSH thất bại nhiều lần — host.name=")
    assert set(body) == set(expected) | {"display_time", "summary", "url"}
    assert body["url"] is None  # no web.public_url configured
    # Vietnamese travels as UTF-8, not as \u escapes.
    assert "Đăng nhập".encode() in request.body
    assert body == webhook_payload(alert)


def test_no_authorization_header_without_a_secret(
    serve: Callable[..., Receiver], make_alert: Callable[..., Alert]
) -> None:
    receiver = serve()
    _channel(receiver.url()).send(make_alert())
    assert "Authorization" not in receiver.received[0].headers


def test_500_twice_then_200_is_sent_on_the_third_attempt_after_backoff(
    serve: Callable[..., Receiver],
    make_alert: Callable[..., Alert],
    store: SQLiteStore,
    clock: Callable[[], datetime],
    advance: Callable[[float], None],
) -> None:
    receiver = serve(500, 500)
    alert = make_alert()
    dispatcher = _outbox(store, alert, _channel(receiver.url(), secret=SECRET), clock)

    assert dispatcher.run_once().retrying == 1
    first = _row(store, alert)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error is not None and "HTTP 500" in first.last_error
    assert first.updated_at == "2026-11-27T04:00:00.000000Z"

    advance(1.9)  # the first backoff is 2 s: nothing is sent yet
    assert dispatcher.run_once().waiting == 1
    assert len(receiver.received) == 1

    advance(0.1)
    assert dispatcher.run_once().retrying == 1
    assert _row(store, alert).attempts == 2

    advance(3.9)  # the second backoff is 4 s
    assert dispatcher.run_once().waiting == 1
    advance(0.1)
    assert dispatcher.run_once().sent == 1

    final = _row(store, alert)
    assert (final.status, final.attempts, final.last_error) == ("sent", 3, None)
    assert len(receiver.received) == 3
    assert dispatcher.run_once().sent == 0  # a sent row is never sent again
    assert len(receiver.received) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_client_errors_and_redirects_fail_at_once(
    serve: Callable[..., Receiver],
    make_alert: Callable[..., Alert],
    store: SQLiteStore,
    clock: Callable[[], datetime],
    status: int,
) -> None:
    receiver = serve(status)
    alert = make_alert()
    dispatcher = _outbox(store, alert, _channel(receiver.url(), secret=SECRET), clock)

    assert dispatcher.run_once().failed == 1
    row = _row(store, alert)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == (
        f"webhook http://127.0.0.1:{receiver.port} answered HTTP {status}: "
        f"status {status} [31m see docs"
    )
    assert len(receiver.received) == 1  # the redirect was not followed


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_server_errors_and_come_back_later_answers_are_retried(
    serve: Callable[..., Receiver],
    make_alert: Callable[..., Alert],
    store: SQLiteStore,
    clock: Callable[[], datetime],
    status: int,
) -> None:
    receiver = serve(status)
    alert = make_alert()
    dispatcher = _outbox(store, alert, _channel(receiver.url()), clock)

    assert dispatcher.run_once().retrying == 1
    row = _row(store, alert)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error is not None and f"HTTP {status}" in row.last_error


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_receiver_is_retried_and_the_secret_and_url_token_stay_out_of_errors(
    make_alert: Callable[..., Alert],
    store: SQLiteStore,
    clock: Callable[[], datetime],
    advance: Callable[[float], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _unused_port()
    alert = make_alert()
    channel = _channel(f"http://127.0.0.1:{port}/hooks/{URL_TOKEN}", secret=SECRET, max_attempts=2)
    dispatcher = _outbox(store, alert, channel, clock)

    with caplog.at_level(logging.DEBUG):
        assert dispatcher.run_once().retrying == 1
        row = _row(store, alert)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error is not None
        assert row.last_error.startswith(f"webhook http://127.0.0.1:{port}: ")
        assert "refused" in row.last_error.lower()

        advance(2)
        assert dispatcher.run_once().failed == 1  # the channel's max_attempts=2 is used up
        assert _row(store, alert).status == "failed"

    for text in (row.last_error, caplog.text):
        assert SECRET not in text
        assert URL_TOKEN not in text
    assert "giving up" in caplog.text


def test_a_receiver_slower_than_the_timeout_is_a_retryable_failure(
    serve: Callable[..., Receiver], make_alert: Callable[..., Alert]
) -> None:
    receiver = serve(holding=True)
    channel = _channel(receiver.url(), timeout=timedelta(milliseconds=50))
    with pytest.raises(NotificationError, match="timed out") as raised:
        channel.send(make_alert())
    assert type(raised.value) is NotificationError  # retryable, not permanent
    receiver.hold.set()
