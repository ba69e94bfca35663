"""Every channel kind in the registry writes its messages from the channel's templates and takes
digests, or is listed below with the reason it cannot (the JSON webhook has no text to
template; a case tool takes one case per alert), so a channel added later cannot skip either
without saying why.

Each templated kind is built through the registry from a config with a template and a digest
template of its own (and digest mode on where it takes digests), then sends one alert and one
digest to a real receiver on 127.0.0.1 (HTTP; SMTP for e-mail; standard output for the
console): both arrive as those templates wrote them. Each listed kind refuses the setting it
cannot honour at start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from alerting.notify.channel import Channel
from alerting.notify.digest import Digest
from alerting.notify.message import AlertLinks
from alerting.notify.registry import CHANNELS
from canhgac.config import AlertingConfig
from canhgac.errors import ConfigError
from canhgac.models import Alert

from .test_notify_email import MailSink, _Server

#: Kinds whose messages are not written from templates, and why.
FIXED_FORMAT = {"webhook": "the stored alert as JSON, for programs rather than people"}
#: The least config of each fixed-format kind.
FIXED_CONFIGS: dict[str, dict[str, Any]] = {"webhook": {"url": "http://127.0.0.1:9/h"}}
#: Kinds that take each alert on its own, and why.
NO_DIGEST = {
    "thehive": "one case per alert: a digest would merge unrelated cases",
    "dfir_iris": "one case per alert: a digest would merge unrelated cases",
    "jira": "one issue per alert: a digest would merge unrelated issues",
}
#: The HTTP answer a kind needs to count a request as delivered (default: 200 ``{}``).
ANSWERS = {"telegram": '{"ok": true}', "zalo": '{"error": 0}', "dfir_iris": '{"status": "success"}'}

ALERT_TEMPLATE = "TMPL-ALERT {{ alert.count }} {{ b(alert.title) }}"
DIGEST_TEMPLATE = (
    "TMPL-DIGEST {{ digest.count }} {% for a in digest.alerts %}{{ a.id }} {% endfor %}"
)


def targets(http_url: str, smtp_port: int) -> dict[str, dict[str, Any]]:
    """How each templated kind reaches the local receivers."""
    host = http_url.removeprefix("http://")
    return {
        "console": {},
        "telegram": {"token": "1:T", "chat_id": "1", "api_url": http_url},
        "teams": {"url": f"{http_url}/h"},
        "slack": {"url": f"{http_url}/h"},
        "mattermost": {"url": f"{http_url}/h"},
        "discord": {"url": f"{http_url}/h"},
        "google_chat": {"url": f"{http_url}/h"},
        "apprise": {"urls": [f"json://{host}/h"]},
        "zalo": {"access_token": "z", "user_ids": ["1"], "api_url": http_url},
        "email": {"host": "127.0.0.1", "port": smtp_port, "recipients": ["soc@hanoi.example"]},
        "thehive": {"url": http_url, "api_key": "k"},
        "dfir_iris": {"url": http_url, "api_key": "k"},
        "jira": {"url": http_url, "project": "SOC", "token": "t"},
    }


TEMPLATED = sorted(targets("http://127.0.0.1:9", 25))


def _build(kind: str, settings: dict[str, Any]) -> Channel:
    config = AlertingConfig.model_validate(
        {"channels": [{"type": kind, "name": kind, **settings}]}
    ).channels[0]
    return CHANNELS.get(config.type)(config, AlertLinks("https://soc.hanoi.example"))


def test_every_registered_kind_is_templated_with_digests_or_listed_with_its_reason() -> None:
    kinds = set(CHANNELS.names())
    assert set(TEMPLATED) | set(FIXED_FORMAT) == kinds
    assert not set(TEMPLATED) & set(FIXED_FORMAT)
    assert set(NO_DIGEST) <= kinds
    assert set(FIXED_CONFIGS) == set(FIXED_FORMAT)


@pytest.mark.parametrize("kind", sorted(FIXED_FORMAT))
def test_a_fixed_format_kind_refuses_a_template(kind: str, tmp_path: Path) -> None:
    template = tmp_path / "t.j2"
    template.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="writes a fixed format"):
        _build(kind, {**FIXED_CONFIGS[kind], "template": str(template)})


@pytest.mark.parametrize("kind", sorted(NO_DIGEST))
def test_a_kind_without_digests_refuses_digest_mode(kind: str) -> None:
    with pytest.raises(ConfigError, match="takes each alert on its own"):
        _build(kind, {**targets("http://127.0.0.1:9", 25)[kind], "digest": {"every": "15m"}})


@pytest.fixture
def mail_server() -> Iterator[tuple[MailSink, int]]:
    sink = MailSink()
    server = _Server(sink, hostname="127.0.0.1", port=0, server_hostname="smtp.test")
    server.start()
    yield sink, int(server.port)
    server.stop()


def _delivered(
    kind: str, http_receiver: Any, sink: MailSink, capsys: pytest.CaptureFixture[str]
) -> str:
    """What the last send delivered, as text (a request body, a mail body, the output)."""
    if kind == "console":
        return capsys.readouterr().out
    if kind == "email":
        message = message_from_bytes(sink.received[-1].content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return str(message.get_content())
    return json.dumps(http_receiver.requests[-1][2], ensure_ascii=False)


@pytest.mark.parametrize("kind", TEMPLATED)
def test_a_templated_kind_sends_alerts_and_digests_from_its_own_templates(
    kind: str,
    tmp_path: Path,
    http_receiver: Any,
    mail_server: tuple[MailSink, int],
    capsys: pytest.CaptureFixture[str],
    make_alert: Any,
) -> None:
    sink, smtp_port = mail_server
    http_receiver.default = (200, ANSWERS.get(kind, "{}"))
    (tmp_path / "alert.j2").write_text(ALERT_TEMPLATE, encoding="utf-8")
    (tmp_path / "digest.j2").write_text(DIGEST_TEMPLATE, encoding="utf-8")
    settings = {
        **targets(http_receiver.url, smtp_port)[kind],
        "template": str(tmp_path / "alert.j2"),
        "digest_template": str(tmp_path / "digest.j2"),
    }
    if kind not in NO_DIGEST:
        settings["digest"] = {"every": "15m"}
    channel = _build(kind, settings)
    alert: Alert = make_alert(rule_title="Quét cổng")
    channel.send(alert)
    sent_alert = _delivered(kind, http_receiver, sink, capsys)
    assert "TMPL-ALERT 7 " in sent_alert and "Quét cổng" in sent_alert
    if kind in NO_DIGEST:
        return
    end = datetime(2026, 11, 27, 4, 15, tzinfo=UTC)
    low = make_alert(id="alert-0002", severity="low")
    channel.send_digest(Digest("digest:x@1", kind, end, timedelta(minutes=15), (alert, low)))
    sent_digest = _delivered(kind, http_receiver, sink, capsys)

    assert "TMPL-DIGEST 2 alert-0001 alert-0002" in sent_digest
    assert "TMPL-ALERT" not in sent_digest and "TMPL-DIGEST" not in sent_alert
