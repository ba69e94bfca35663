"""Fixtures shared by the notify tests: a real SQLite store, a hand-moved clock, an alert
factory. (Tests run with --import-mode=importlib, so helpers are shared as fixtures.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
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
