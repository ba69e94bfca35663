"""Fixtures shared by the notify tests: a real SQLite store, a hand-moved clock, an alert
factory. (Tests run with --import-mode=importlib, so helpers are shared as fixtures.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db")
    yield s
    s.close()


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The dispatcher's clock seam; it only moves when the test calls ``advance``."""
    return _Clock()


@pytest.fixture
def advance(clock: _Clock) -> Callable[[float], None]:
    return clock.advance


def _make_alert(**overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "id": "alert-0001",
        "rule_id": "ssh-bruteforce",
        "rule_title": "Đăng nhập SSH thất bại nhiều lần",
        "rule_description": "Nhiều lần đăng nhập SSH thất bại từ một địa chỉ IP.",
        "severity": "high",
        "first_seen": "2026-11-27T03:04:05.000000Z",
        "last_seen": "2026-11-27T03:09:00.000000Z",
        "count": 7,
        "event_ids": ["e1", "e2"],
        "snapshot": {
            "host.name": "may-chu-web-01",
            "user.name": "nguyễn.văn.an",
            "source.ip": "203.0.113.7",
            "event.original": "Failed password for nguyễn.văn.an from 203.0.113.7 port 52113",
        },
        "created_at": "2026-11-27T03:10:00.000000Z",
        "updated_at": "2026-11-27T03:10:00.000000Z",
    }
    fields.update(overrides)
    return Alert(**fields)


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """A Vietnamese SSH brute-force alert; keyword arguments replace its fields."""
    return _make_alert


# --- a real HTTP receiver on 127.0.0.1 (chat and case-management channels) ---------------------
class HttpReceiver:
    """Records every POST (path, headers, JSON body); answers with the scripted (status, body)
    pairs in order, then ``default``."""

    def __init__(self, default: tuple[int, str] = (200, "{}")) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.answers: list[tuple[int, str]] = []
        self.default = default
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server hook name
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = json.loads(raw.decode("utf-8"))
                receiver.requests.append((self.path, dict(self.headers.items()), body))
                status, text = receiver.answers.pop(0) if receiver.answers else receiver.default
                reply = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    yield receiver
    receiver.close()


#: Snapshot values that are markup, mentions or links in one target or another.
HOSTILE_SNAPSHOT = {
    "host.name": "máy-chủ-01 <b>x</b>",
    "user.name": "nguyễn.văn.an @everyone <!channel> & *đậm* [a](http://evil) {code}|x",
    "source.ip": "2001:db8::7",
    "event.dataset": "sshd",
}


@pytest.fixture
def hostile_alert() -> Alert:
    """A Vietnamese alert whose log-derived values try to format, ping and link."""
    return _make_alert(snapshot=dict(HOSTILE_SNAPSHOT), tags=["attack.credential_access"])
