"""Each chat channel against a real HTTP server on 127.0.0.1, through the dispatcher and a real
SQLite outbox: the exact documented payload, with Vietnamese text, log values escaped for the
target's markup (no formatting, mention or link from a log line) and the link to the alert."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore

PUBLIC_URL = "https://soc.hanoi.example/"
LINK = "https://soc.hanoi.example/alerts/alert-0001"
TIME = "2026-11-27 10:04:05 +07 (UTC+07:00)"
TITLE = "[HIGH] Đăng nhập SSH thất bại nhiều lần"
ZWSP = "\u200b"
#: The hostile alert in Markdown (Mattermost, Discord, Teams card text), headline to rule.
MARKDOWN_LINES = [
    r"🚨 **\[HIGH\] Đăng nhập SSH thất bại nhiều lần**",
    r"host.name: máy-chủ-01 \<b\>x\</b\>",
    f"user.name: nguyễn.văn.an @{ZWSP}everyone "
    r"\<!channel\> & \*đậm\* \[a\]\(http\://evil\) {code}\|x",
    r"source.ip: 2001\:db8\:\:7",
    r"Thời gian: 2026-11-27 10\:04\:05 +07 \(UTC+07\:00\)",
    "Số sự kiện: 2",
    "Quy tắc: ssh-bruteforce",
]


def deliver(
    store: SQLiteStore, alert: Alert, channel: dict[str, Any], clock: Callable[[], datetime]
) -> DispatchReport:
    """Build ``channel`` from its config through the registry, enqueue ``alert`` for it, run
    one dispatcher pass."""
    config = AlertingConfig.model_validate({"channels": [channel]}).channels[0]
    built = CHANNELS.get(config.type)(config, AlertLinks(PUBLIC_URL))
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, [config.name])
    return Dispatcher(store, {config.name: built}, clock=clock).run_once()


def test_telegram_sends_html_with_every_value_escaped(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, '{"ok": true, "result": {"message_id": 1}}')
    channel = {
        "type": "telegram",
        "name": "tg",
        "token": "123456:SECRET-token",
        "chat_id": "-1001234567890",
        "api_url": http_receiver.url,
        "message_thread_id": 42,
    }
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, headers, body)] = http_receiver.requests
    assert path == "/bot123456:SECRET-token/sendMessage"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert body == {
        "chat_id": "-1001234567890",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "message_thread_id": 42,
        "text": "\n".join(
            [
                f"🚨 <b>{TITLE}</b>",
                "host.name: <code>máy-chủ-01 &lt;b&gt;x&lt;/b&gt;</code>",
                "user.name: <code>nguyễn.văn.an @everyone &lt;!channel&gt; &amp; *đậm* "
                "[a](http://evil) {code}|x</code>",
                "source.ip: <code>2001:db8::7</code>",
                f"Thời gian: <code>{TIME}</code>",
                "Số sự kiện: <code>2</code>",
                "Quy tắc: <code>ssh-bruteforce</code>",
                f'<a href="{LINK}">Mở cảnh báo</a>',
            ]
        ),
    }


def test_telegram_answer_without_ok_is_retried_and_the_token_never_shows(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, '{"ok": false}')
    channel = {"type": "telegram", "name": "tg", "token": "999:TOKEN", "chat_id": "1"}
    channel["api_url"] = http_receiver.url
    alert = make_alert()
    assert deliver(store, alert, channel, clock) == DispatchReport(retrying=1)
    [row] = store.list_notifications(alert.id)
    assert row.last_error == f"telegram {http_receiver.url}: answer without ok: true"


def _text_blocks(*lines: str) -> list[dict[str, Any]]:
    return [{"type": "TextBlock", "text": line, "wrap": True} for line in lines]


def test_teams_posts_an_adaptive_card_of_its_template_with_markdown_escaped(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (202, "")
    channel = {"type": "teams", "name": "teams", "url": f"{http_receiver.url}/workflows/abc?sig=S"}
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, headers, body)] = http_receiver.requests
    assert path == "/workflows/abc?sig=S"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    headline, *rest = _text_blocks(*MARKDOWN_LINES, f"[Mở cảnh báo]({LINK})")
    assert body == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [headline | {"size": "Medium", "color": "Attention"}, *rest],
                    "actions": [{"type": "Action.OpenUrl", "title": "Mở cảnh báo", "url": LINK}],
                },
            }
        ],
    }


def test_slack_escapes_the_three_mrkdwn_characters(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (200, "ok")
    channel = {"type": "slack", "name": "slack", "url": f"{http_receiver.url}/services/T/B/X"}
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, _, body)] = http_receiver.requests
    assert path == "/services/T/B/X"
    assert body == {
        "text": "\n".join(
            [
                f"🚨 *{TITLE}*",
                "host.name: `máy-chủ-01 &lt;b&gt;x&lt;/b&gt;`",
                "user.name: `nguyễn.văn.an @everyone &lt;!channel&gt; &amp; *đậm* "
                "[a](http://evil) {code}|x`",
                "source.ip: `2001:db8::7`",
                f"Thời gian: `{TIME}`",
                "Số sự kiện: `2`",
                "Quy tắc: `ssh-bruteforce`",
                f"<{LINK}|Mở cảnh báo>",
            ]
        )
    }


@pytest.mark.parametrize("kind", ["slack", "discord", "mattermost", "teams", "google_chat"])
def test_a_channel_in_english_speaks_english_and_keeps_the_field_names(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any, kind: str
) -> None:
    http_receiver.default = (200, "ok")
    channel = {"type": kind, "name": kind, "url": f"{http_receiver.url}/h", "language": "en"}
    assert deliver(store, make_alert(), channel, clock) == DispatchReport(sent=1)
    [(_, _, body)] = http_receiver.requests
    text = json.dumps(body, ensure_ascii=False)
    assert "Time: " in text and "Events: " in text and "Open alert" in text
    assert "Thời gian" not in text and "Mở cảnh báo" not in text
    assert "host.name" in text


def test_mattermost_escapes_markdown_and_breaks_mass_mentions(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    channel = {
        "type": "mattermost",
        "name": "mm",
        "url": f"{http_receiver.url}/hooks/xyz",
        "channel": "soc-alerts",
        "username": "Canh Gác",
    }
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, _, body)] = http_receiver.requests
    assert path == "/hooks/xyz"
    assert body == {
        "channel": "soc-alerts",
        "username": "Canh Gác",
        "text": "\n".join(
            [
                *MARKDOWN_LINES,
                f"[Mở cảnh báo](<{LINK}>)",
            ]
        ),
    }


def test_discord_pings_nobody_and_escapes_markdown(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (204, "")
    channel = {"type": "discord", "name": "dc", "url": f"{http_receiver.url}/api/webhooks/1/T"}
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, _, body)] = http_receiver.requests
    assert path == "/api/webhooks/1/T"
    assert body == {
        "allowed_mentions": {"parse": []},
        "content": "\n".join(
            [
                *MARKDOWN_LINES,
                f"[Mở cảnh báo](<{LINK}>)",
            ]
        ),
    }


def test_google_chat_card_is_its_template_html_escaped_and_the_text_holds_no_log_value(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    url = f"{http_receiver.url}/v1/spaces/AAA/messages?key=K&token=T"
    channel = {"type": "google_chat", "name": "gchat", "url": url}
    assert deliver(store, hostile_alert, channel, clock) == DispatchReport(sent=1)

    [(path, _, body)] = http_receiver.requests
    assert path == "/v1/spaces/AAA/messages?key=K&token=T"
    lines = [
        f"🚨 <b>{TITLE}</b>",
        "host.name: máy-chủ-01 &lt;b&gt;x&lt;/b&gt;",
        "user.name: nguyễn.văn.an @everyone &lt;!channel&gt; &amp; *đậm* [a](http://evil) {code}|x",
        "source.ip: 2001:db8::7",
        f"Thời gian: {TIME}",
        "Số sự kiện: 2",
        "Quy tắc: ssh-bruteforce",
        f'<a href="{LINK}">Mở cảnh báo</a>',
    ]
    button = {"text": "Mở cảnh báo", "onClick": {"openLink": {"url": LINK}}}
    assert body == {
        "text": f"🚨 [HIGH] Canh Gác — <{LINK}|Mở cảnh báo>",
        "cardsV2": [
            {
                "cardId": "canhgac-alert-0001",
                "card": {
                    "header": {"title": "Canh Gác", "subtitle": "Cảnh báo · HIGH"},
                    "sections": [
                        {
                            "widgets": [
                                {"textParagraph": {"text": "<br>".join(lines)}},
                                {"buttonList": {"buttons": [button]}},
                            ]
                        }
                    ],
                },
            }
        ],
    }


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("teams", {}),
        ("slack", {}),
        ("mattermost", {}),
        ("discord", {}),
        ("google_chat", {}),
    ],
)
def test_a_chat_webhook_url_is_a_secret_that_never_reaches_errors(
    store: SQLiteStore,
    make_alert: Any,
    http_receiver: Any,
    clock: Any,
    kind: str,
    extra: dict[str, Any],
) -> None:
    http_receiver.default = (404, "no such hook")
    channel = {"type": kind, "name": kind, "url": f"{http_receiver.url}/hooks/TOKEN-123", **extra}
    alert = make_alert()
    assert deliver(store, alert, channel, clock) == DispatchReport(failed=1)
    [row] = store.list_notifications(alert.id)
    assert row.last_error == f"{kind} {http_receiver.url} answered HTTP 404: no such hook"
    assert "TOKEN-123" not in repr(AlertingConfig.model_validate({"channels": [channel]}))


def test_without_a_public_url_messages_carry_no_link(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    config = AlertingConfig.model_validate(
        {"channels": [{"type": "slack", "name": "s", "url": http_receiver.url}]}
    ).channels[0]
    alert = make_alert()
    store.record_alert(alert, alert.event_ids)
    store.enqueue_notifications(alert.id, ["s"])
    Dispatcher(
        store, {"s": CHANNELS.get("slack")(config, AlertLinks(None))}, clock=clock
    ).run_once()
    [(_, _, body)] = http_receiver.requests
    assert "/alerts/" not in body["text"]
    assert body["text"].splitlines()[-1] == "Quy tắc: `ssh-bruteforce`"
