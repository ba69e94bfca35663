"""Microsoft Teams and Google Chat in digest mode, against a real HTTP server on 127.0.0.1 and a
real SQLite outbox: a high alert goes at once, low ones wait and go as one digest in the
documented request shape (Workflows message with an Adaptive Card; Chat ``text`` + ``cardsV2``),
written by the channel's digest template in its language, with hostile titles and field values
escaped so that no markup, mention or link comes from a log line."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.notify.digest_outbox import digest_id, last_period_end
from alerting.notify.dispatcher import Dispatcher, DispatchReport
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import from_iso

PUBLIC_URL = "https://soc.hanoi.example"
EVERY = timedelta(minutes=15)
SETTLE = 30.0
ZWSP = "\u200b"
HOSTILE_TITLE = "Quét <b>cổng</b> [bấm](http://evil) @everyone *x* <users/all>"
HOSTILE_USER = "an <!channel> @here [a](http://evil.example) <a href='http://evil'>y</a> &amp;"


def _config(kind: str, url: str, **extra: Any) -> Any:
    channel = {
        "type": kind,
        "name": kind,
        "url": f"{url}/hook",
        "digest": {"every": "15m", "max_severity": "medium"},
        **extra,
    }
    return AlertingConfig.model_validate({"channels": [channel]}).channels[0]


def _alerts(make_alert: Callable[..., Alert]) -> list[Alert]:
    hostile = {"host.name": "máy-chủ-01", "user.name": HOSTILE_USER, "source.ip": "10.0.0.9"}
    return [
        make_alert(
            id="a-low-1",
            severity="low",
            rule_id="r-scan",
            rule_title=HOSTILE_TITLE,
            snapshot=hostile,
        ),
        make_alert(id="a-med-1", severity="medium", rule_id="r-dns", rule_title="DNS lạ"),
        make_alert(id="a-high-1", severity="high"),
    ]


def _run_digest(
    kind: str, store: SQLiteStore, alerts: list[Alert], receiver: Any, clock: Any, **extra: Any
) -> tuple[str, dict[str, Any]]:
    """Enqueue ``alerts``, pass the dispatcher at once and after the period; return the
    digest's id and the request body it posted."""
    config = _config(kind, receiver.url, **extra)
    channel = CHANNELS.get(kind)(config, AlertLinks(PUBLIC_URL))
    for alert in alerts:
        store.record_alert(alert, alert.event_ids)
        store.enqueue_notifications(alert.id, [kind])
    dispatcher = Dispatcher(store, {kind: channel}, clock=clock, digest_settle=SETTLE)
    queued = max(from_iso(note.updated_at) for note in store.pending_notifications(100))
    end: datetime = last_period_end(queued, EVERY) + EVERY
    clock.now = queued
    assert dispatcher.run_once() == DispatchReport(sent=1, held=2)  # the high one at once
    assert "X-Canhgac-Digest-Id" not in receiver.requests[0][1]
    clock.now = end + timedelta(seconds=SETTLE + 1)
    assert dispatcher.run_once() == DispatchReport(sent=2, digests=1)
    [_, (path, headers, body)] = receiver.requests
    assert path == "/hook"
    assert headers["X-Canhgac-Digest-Id"] == digest_id(kind, end)
    for alert_id in ("a-low-1", "a-med-1", digest_id(kind, end)):
        [row] = store.list_notifications(alert_id)
        assert row.status == "sent"
    return digest_id(kind, end), body


def _teams_text(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The card's lines, and the card; the body must be the Workflows message shape."""
    assert set(body) == {"type", "attachments"} and body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card: dict[str, Any] = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert all(block["type"] == "TextBlock" and block["wrap"] for block in card["body"])
    return "\n".join(block["text"] for block in card["body"]), card


def _chat_text(body: dict[str, Any], card_id: str) -> tuple[str, dict[str, Any]]:
    """The card's paragraph with ``<br>`` as newlines, and the card; the body must be the
    Chat message shape."""
    assert set(body) == {"text", "cardsV2"}
    [entry] = body["cardsV2"]
    assert entry["cardId"] == card_id
    [section] = entry["card"]["sections"]
    [widget] = section["widgets"]
    return widget["textParagraph"]["text"].replace("<br>", "\n"), entry["card"]


def test_teams_sends_one_adaptive_card_digest_with_log_values_escaped(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (202, "")
    _, body = _run_digest("teams", store, _alerts(make_alert), http_receiver, clock)
    text, card = _teams_text(body)
    assert "actions" not in card  # the digest's links are in its text
    lines = text.splitlines()
    assert lines[0] == "📋 **Canh Gác — tổng hợp 2 cảnh báo**"
    assert "MEDIUM: 1" in lines and "LOW: 1" in lines
    escaped_title = (
        r"Quét \<b\>cổng\</b\> \[bấm\]\(http\://evil\) "
        rf"@{ZWSP}everyone \*x\* \<users/all\>"
    )
    assert f"• LOW · [{escaped_title}]({PUBLIC_URL}/alerts/a-low-1) · " in text
    assert f"• MEDIUM · [DNS lạ]({PUBLIC_URL}/alerts/a-med-1) · " in text
    assert (
        r"• user.name: an \<!channel\> "
        rf"@{ZWSP}here \[a\]\(http\://evil.example\) \<a href='http\://evil'\>y\</a\> &amp; (1)"
    ) in lines
    # Every link and every "<" in the card is ours: none comes from a log value.
    assert all(
        url.startswith(f"{PUBLIC_URL}/alerts") for url in re.findall(r"(?<!\\)\]\(([^)]*)\)", text)
    )
    assert re.findall(r"(?<!\\)<", text) == []
    assert "@everyone" not in text and "@here" not in text


def test_google_chat_sends_one_card_digest_with_log_values_escaped(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    digest, body = _run_digest("google_chat", store, _alerts(make_alert), http_receiver, clock)
    assert body["text"] == "📋 Canh Gác — tổng hợp cảnh báo: 2"
    text, card = _chat_text(body, f"canhgac-{digest}")
    assert card["header"] == {"title": "Canh Gác — tổng hợp cảnh báo"}
    lines = text.splitlines()
    assert lines[0] == "📋 <b>Canh Gác — tổng hợp 2 cảnh báo</b>"
    escaped_title = (
        "Quét &lt;b&gt;cổng&lt;/b&gt; [bấm](http://evil) @everyone *x* &lt;users/all&gt;"
    )
    assert f'• LOW · <a href="{PUBLIC_URL}/alerts/a-low-1">{escaped_title}</a> · ' in text
    assert (
        "• user.name: an &lt;!channel&gt; @here [a](http://evil.example) "
        "&lt;a href=&#x27;http://evil&#x27;&gt;y&lt;/a&gt; &amp;amp; (1)"
    ) in lines
    # The only tags are the card subset's, written by the template; every href is ours.
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "a"}
    assert all(
        href.startswith(f"{PUBLIC_URL}/alerts") for href in re.findall(r'href="([^"]*)"', text)
    )
    # The notification text beside the card holds no log value.
    assert "Quét" not in body["text"] and "evil" not in body["text"]


@pytest.mark.parametrize(
    ("kind", "heading"),
    [
        ("teams", "📋 **Canh Gác — digest of 2 alerts**"),
        ("google_chat", "📋 <b>Canh Gác — digest of 2 alerts</b>"),
    ],
)
def test_a_digest_speaks_the_channels_language(
    store: SQLiteStore,
    make_alert: Any,
    http_receiver: Any,
    clock: Any,
    kind: str,
    heading: str,
) -> None:
    digest, body = _run_digest(
        kind, store, _alerts(make_alert), http_receiver, clock, language="en"
    )
    text = _teams_text(body)[0] if kind == "teams" else _chat_text(body, f"canhgac-{digest}")[0]
    assert text.splitlines()[0] == heading
    assert "By rule:" in text and "Open the alert queue" in text and "Theo quy tắc" not in text


@pytest.mark.parametrize("kind", ["teams", "google_chat"])
def test_a_channels_own_digest_template_writes_the_card(
    store: SQLiteStore,
    make_alert: Any,
    http_receiver: Any,
    clock: Any,
    tmp_path: Path,
    kind: str,
) -> None:
    template = tmp_path / "digest.j2"
    template.write_text(
        "{{ b('Ca trực') }}: {{ digest.count }}\n"
        "{% for alert in digest.alerts %}{{ alert.title|safe }}\n{% endfor %}",
        encoding="utf-8",
    )
    digest, body = _run_digest(
        kind, store, _alerts(make_alert), http_receiver, clock, digest_template=str(template)
    )
    if kind == "teams":
        text = _teams_text(body)[0]
        assert text.splitlines() == [
            "**Ca trực**: 2",
            "DNS lạ",
            r"Quét \<b\>cổng\</b\> \[bấm\]\(http\://evil\) "
            rf"@{ZWSP}everyone \*x\* \<users/all\>",
        ]
    else:
        text = _chat_text(body, f"canhgac-{digest}")[0]
        assert text.splitlines() == [
            "<b>Ca trực</b>: 2",
            "DNS lạ",
            "Quét &lt;b&gt;cổng&lt;/b&gt; [bấm](http://evil) @everyone *x* &lt;users/all&gt;",
        ]
