"""The Zalo Official Account channel against a real HTTP server on 127.0.0.1 that checks the
OA API v3 consultation-message request: ``POST /v3.0/oa/message/cs``, the ``access_token``
header, ``{"recipient": {"user_id"}, "message": {"text"}}``, and Zalo's ``error`` answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from alerting.notify.chat.zalo import MAX_TEXT
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore

OK = '{"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": "u"}}'
LINK = "https://soc.hanoi.example/alerts/alert-0001"


def _dispatcher(
    store: SQLiteStore, channel: dict[str, Any], clock: Callable[[], datetime]
) -> Dispatcher:
    config = AlertingConfig.model_validate({"channels": [{"type": "zalo", **channel}]})
    built = CHANNELS.get("zalo")(config.channels[0], AlertLinks("https://soc.hanoi.example"))
    return Dispatcher(store, {built.name: built}, clock=clock)


def _enqueue(store: SQLiteStore, alert: Alert) -> None:
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, ["zalo"])


class ZaloServer:
    """Checks each request against the documented shape; answers like Zalo."""

    def __init__(self, receiver: Any, token: str) -> None:
        self.receiver = receiver
        self.token = token

    def check(self) -> list[tuple[str, str]]:
        """(user_id, text) of every request, each checked against the documented shape."""
        sent = []
        for path, raw_headers, body in self.receiver.requests:
            headers = {name.lower(): value for name, value in raw_headers.items()}  # RFC 9110
            assert path == "/v3.0/oa/message/cs"
            assert headers["access_token"] == self.token
            assert headers["content-type"] == "application/json; charset=utf-8"
            assert set(body) == {"recipient", "message"}
            assert set(body["recipient"]) == {"user_id"} and set(body["message"]) == {"text"}
            sent.append((body["recipient"]["user_id"], body["message"]["text"]))
        return sent


def test_zalo_sends_plain_text_to_each_follower(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, OK)
    channel = {
        "access_token": "oa-TOKEN",
        "user_ids": ["84901", "84902"],
        "api_url": http_receiver.url,
    }
    _enqueue(store, hostile_alert)
    assert _dispatcher(store, channel, clock).run_once() == DispatchReport(sent=1)

    [(first, text), (second, same)] = ZaloServer(http_receiver, "oa-TOKEN").check()
    assert (first, second) == ("84901", "84902") and text == same
    lines = text.splitlines()
    assert lines[0] == "🚨 [HIGH] Đăng nhập SSH thất bại nhiều lần"
    assert "host.name: máy-chủ-01 <b>x</b>" in lines  # plain text: Zalo renders no markup
    assert "Quy tắc: ssh-bruteforce" in lines
    assert lines[-1] == f"Mở cảnh báo: {LINK}"


def test_a_zalo_error_answer_is_retried_and_the_token_never_shows(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, '{"error": -216, "message": "Access token is invalid"}')
    channel = {"access_token": "oa-TOKEN", "user_ids": ["84901"], "api_url": http_receiver.url}
    _enqueue(store, make_alert())
    assert _dispatcher(store, channel, clock).run_once() == DispatchReport(retrying=1)
    [row] = store.list_notifications("alert-0001")
    assert row.status == "pending" and "Zalo error -216: Access token is invalid" in (
        row.last_error or ""
    )
    assert "oa-TOKEN" not in (row.last_error or "")


def test_the_token_file_is_read_again_on_every_send(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any, tmp_path: Path
) -> None:
    http_receiver.default = (200, OK)
    token = tmp_path / "zalo-token"
    token.write_text("first-token\n", "utf-8")
    channel = {"access_token_file": str(token), "user_ids": ["84901"], "api_url": http_receiver.url}
    dispatcher = _dispatcher(store, channel, clock)
    _enqueue(store, make_alert())
    dispatcher.run_once()
    token.write_text("refreshed-token\n", "utf-8")  # what a token refresher does
    _enqueue(store, make_alert(id="alert-0002"))
    dispatcher.run_once()
    tokens = [
        {name.lower(): value for name, value in headers.items()}["access_token"]
        for _, headers, _ in http_receiver.requests
    ]
    assert tokens == ["first-token", "refreshed-token"]


def test_a_long_message_is_cut_to_zalos_limit(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, OK)
    channel = {"access_token": "t", "user_ids": ["1"], "api_url": http_receiver.url}
    _enqueue(store, make_alert(rule_title="Đ" * 150, snapshot={"user.name": "ư" * 5000}))
    assert _dispatcher(store, channel, clock).run_once().sent == 1
    [(_, text)] = ZaloServer(http_receiver, "t").check()
    assert len(text) <= MAX_TEXT


@pytest.mark.parametrize(
    "tokens", [{}, {"access_token": "t", "access_token_file": "/run/secrets/zalo"}]
)
def test_exactly_one_token_source_is_required(tokens: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one of access_token"):
        AlertingConfig.model_validate({"channels": [{"type": "zalo", "user_ids": ["1"], **tokens}]})


def test_the_token_may_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANHGAC_ZALO_TOKEN", "from-env")
    config = AlertingConfig.model_validate(
        {
            "channels": [
                {"type": "zalo", "user_ids": ["1"], "access_token": {"env": "CANHGAC_ZALO_TOKEN"}}
            ]
        }
    )
    channel = CHANNELS.get("zalo")(config.channels[0], AlertLinks())
    assert channel.headers() == {"access_token": "from-env"}
    assert "from-env" not in repr(config)


def test_a_zalo_digest_is_one_text_per_follower(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    from datetime import UTC, timedelta

    http_receiver.default = (200, OK)
    channel = {
        "access_token": "t",
        "user_ids": ["84901", "84902"],
        "api_url": http_receiver.url,
        "language": "en",
        "digest": {"every": "15m", "max_severity": "medium"},
    }
    dispatcher = _dispatcher(store, channel, clock)
    _enqueue(store, make_alert(severity="low"))
    _enqueue(store, make_alert(id="alert-0002", severity="medium"))
    clock.now = datetime.now(UTC) + timedelta(minutes=16)  # past the period they fall in
    assert dispatcher.run_once() == DispatchReport(sent=2, digests=1)
    [(first, text), (second, same)] = ZaloServer(http_receiver, "t").check()
    assert (first, second, text) == ("84901", "84902", same)
    assert text.startswith("📋 Canh Gác — digest of 2 alerts")
    assert f"MEDIUM · Đăng nhập SSH thất bại nhiều lần: {LINK.replace('0001', '0002')}" in text
