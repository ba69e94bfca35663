"""Message templates: the shipped ones in Vietnamese and English, a channel's own file, every
log value escaped for the channel's markup whatever the template does with it, log content
never compiled as a template, and templates that cannot render refused at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerting.notify.channel import Channel
from alerting.notify.digest import Digest
from alerting.notify.message import AlertLinks, alert_message
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.errors import ConfigError
from canhgac.models import Alert

PUBLIC_URL = "https://soc.hanoi.example"
ZWSP = "\u200b"
#: A rule title and user name that try template injection and markup at once.
JINJA_TITLE = "Đăng nhập {{ 7*7 }} {% for x in range(3) %}X{% endfor %} <i>*đậm*</i>"
HOSTILE_USER = "nguyễn @everyone <!channel> <b>x</b> [a](http://evil) *đậm* {{ 6*7 }}"


def _channel(kind: str, **extra: Any) -> Channel:
    base: dict[str, Any] = {"type": kind, "name": kind}
    base.update(
        {
            "telegram": {"token": "t", "chat_id": "1"},
            "zalo": {"access_token": "z", "user_ids": ["1"]},
            "apprise": {"urls": ["json://127.0.0.1:9/x"]},
            "thehive": {"url": "http://127.0.0.1:9", "api_key": "k"},
            "jira": {"url": "http://127.0.0.1:9", "project": "SOC", "token": "t"},
        }.get(kind, {"url": "http://127.0.0.1:9/h"})
    )
    base.update(extra)
    config = AlertingConfig.model_validate({"channels": [base]}).channels[0]
    return CHANNELS.get(config.type)(config, AlertLinks(PUBLIC_URL))


def _hostile(make_alert: Any) -> Alert:
    alert: Alert = make_alert(
        rule_title=JINJA_TITLE,
        snapshot={"host.name": "máy-chủ-01", "user.name": HOSTILE_USER, "source.ip": "10.0.0.1"},
    )
    return alert


def _text(channel: Channel, alert: Alert) -> str:
    return channel.alert_text(alert_message(alert, channel.links, channel.language))


def _digest_text(channel: Channel, *alerts: Alert) -> str:
    end = datetime(2026, 11, 27, 4, 15, tzinfo=UTC)
    return channel.digest_text(
        Digest("digest:x@1", channel.name, end, timedelta(minutes=15), alerts)
    )


def test_log_content_is_never_compiled_as_a_template(make_alert: Any) -> None:
    for kind in ("telegram", "slack", "mattermost", "zalo", "teams", "google_chat"):
        text = _text(_channel(kind), _hostile(make_alert))
        assert "49" not in text and "42" not in text and "XXX" not in text
        literal = text.replace("\\", "")  # Markdown's escapes aside, the characters as sent
        assert "{{ 7*7 }}" in literal and "{% for x in range(3) %}X{% endfor %}" in literal


def test_telegram_html_escapes_every_value(make_alert: Any) -> None:
    text = _text(_channel("telegram"), _hostile(make_alert))
    assert "<b>x</b>" not in text and "<i>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "&lt;i&gt;*đậm*&lt;/i&gt;" in text
    assert text.startswith("🚨 <b>[HIGH] Đăng nhập")
    assert f'<a href="{PUBLIC_URL}/alerts/alert-0001">Mở cảnh báo</a>' in text


def test_markdown_breaks_links_emphasis_and_mass_mentions(make_alert: Any) -> None:
    text = _text(_channel("mattermost"), _hostile(make_alert))
    assert f"@{ZWSP}everyone" in text and "@everyone" not in text
    assert r"\[a\]\(http\://evil\)" in text and r"\*đậm\*" in text and r"\<b\>" in text
    assert f"[Mở cảnh báo](<{PUBLIC_URL}/alerts/alert-0001>)" in text


def test_slack_entities_disarm_pings_and_links(make_alert: Any) -> None:
    text = _text(_channel("slack"), _hostile(make_alert))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert f"<{PUBLIC_URL}/alerts/alert-0001|Mở cảnh báo>" in text


def test_plain_text_keeps_values_as_they_are_without_controls(make_alert: Any) -> None:
    alert = make_alert(snapshot={"user.name": "an\x1b[31m\u202egnp.exe"})
    text = _text(_channel("zalo"), alert)
    assert "user.name: an [31m gnp.exe" in text
    assert "\x1b" not in text and "\u202e" not in text


def test_english_and_vietnamese_templates_ship(make_alert: Any) -> None:
    vi = _text(_channel("slack"), make_alert())
    en = _text(_channel("slack", language="en"), make_alert())
    assert "Thời gian:" in vi and "Số sự kiện:" in vi and "Mở cảnh báo" in vi
    assert "Time:" in en and "Events:" in en and "Open alert" in en and "Thời gian" not in en
    vi_digest = _digest_text(_channel("slack"), make_alert())
    en_digest = _digest_text(_channel("slack", language="en"), make_alert())
    assert "tổng hợp 1 cảnh báo" in vi_digest and "Theo quy tắc:" in vi_digest
    assert "digest of 1 alerts" in en_digest and "By rule:" in en_digest


def test_a_digest_escapes_its_values_and_links_each_alert(make_alert: Any) -> None:
    alerts = [_hostile(make_alert), make_alert(id="alert-0002", severity="low")]
    text = _digest_text(_channel("telegram"), *alerts)
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text and "49" not in text
    assert f'<a href="{PUBLIC_URL}/alerts/alert-0001">' in text
    assert f'<a href="{PUBLIC_URL}/alerts/alert-0002">' in text
    assert f'<a href="{PUBLIC_URL}/alerts?since=' in text  # the queue of the period
    assert "HIGH: 1" in text and "LOW: 1" in text


def test_a_channel_template_cannot_unescape_values(make_alert: Any, tmp_path: Path) -> None:
    path = tmp_path / "mine.j2"
    path.write_text(
        "{{ alert.context['user.name']|safe }}\n"
        "{{ alert.context['user.name']|e }}\n"
        "{{ alert.title ~ '!' }}\n"
        "{{ alert.title|truncate(40) }}\n"
        "{{ b(alert.title) }} {{ link('javascript:alert(1)', 'x') }} {{ link(alert.link, 'mở') }}",
        encoding="utf-8",
    )
    text = _text(_channel("mattermost", template=str(path)), _hostile(make_alert))
    assert "@everyone" not in text and "[a](http" not in text and "*đậm*" not in text
    assert "<b>" not in text and "<i>" not in text and "49" not in text
    assert "javascript:" not in text and " x " in text
    assert f"[mở](<{PUBLIC_URL}/alerts/alert-0001>)" in text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "teams",
            r"**\[HIGH\] Đăng nhập {{ 7\*7 }}** x "
            r"[\<i\>\*đậm\*\</i\>](https://a.example/p%281%29%5Bq%5D)",
        ),
        (
            "google_chat",
            "<b>[HIGH] Đăng nhập {{ 7*7 }}</b> x "
            '<a href="https://a.example/p%281%29%5Bq%5D">&lt;i&gt;*đậm*&lt;/i&gt;</a>',
        ),
        (
            "thehive",
            r"**\[HIGH\] Đăng nhập {{ 7\*7 }}** x "
            r"[\<i\>\*đậm\*\</i\>](<https://a.example/p%281%29%5Bq%5D>)",
        ),
        (
            "jira",
            r"*\[HIGH\] Đăng nhập \{\{ 7\*7 \}\}* x "
            r"[<i>\*đậm\*</i>|https://a.example/p%281%29%5Bq%5D]",
        ),
    ],
)
def test_card_and_case_markups_escape_values_and_link_only_to_web_urls(
    make_alert: Any, tmp_path: Path, kind: str, expected: str
) -> None:
    path = tmp_path / "card.j2"
    path.write_text(
        "{{ b(alert.headline[:26]) }} {{ link('javascript:alert(1)', 'x') }} "
        "{{ link('https://a.example/p(1)[q]', alert.title[-12:]) }}",
        encoding="utf-8",
    )
    alert = make_alert(rule_title=JINJA_TITLE)
    assert _text(_channel(kind, template=str(path)), alert) == expected


def test_a_template_with_a_syntax_error_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.j2"
    path.write_text("🚨 {{ alert.headline }}\n{% for x in alert.tags %}\n{{ x }\n", "utf-8")
    with pytest.raises(ConfigError, match=r"'slack': template .*broken.j2, line 3: "):
        _channel("slack", template=str(path))


@pytest.mark.parametrize(
    "source",
    ["{{ alert.headlin }}", "{{ alert.__class__.__mro__ }}", "{{ digest.count }}"],
)
def test_a_template_that_cannot_render_is_refused_at_start(tmp_path: Path, source: str) -> None:
    path = tmp_path / "bad.j2"
    path.write_text(source, "utf-8")
    with pytest.raises(ConfigError, match="fails on a sample message"):
        _channel("telegram", template=str(path))


def test_a_missing_template_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read template"):
        _channel("discord", digest_template=str(tmp_path / "absent.j2"))


def test_without_a_public_url_a_template_writes_no_link(make_alert: Any) -> None:
    config = AlertingConfig.model_validate(
        {"channels": [{"type": "slack", "url": "http://127.0.0.1:9/h"}]}
    ).channels[0]
    channel = CHANNELS.get("slack")(config, AlertLinks(None))
    text = _text(channel, make_alert())
    assert "Mở cảnh báo" not in text and "http" not in text
