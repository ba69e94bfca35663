"""The console channel: one line per alert, Vietnamese intact, hostile content escaped; a
console with a template prints its text, with controls stripped, and its digests."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pytest

from alerting.notify.console import ConsoleChannel
from alerting.notify.digest import Digest
from canhgac.config import ConsoleChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert

MakeAlert = Callable[..., Alert]


def _print(alert: Alert) -> str:
    out = io.StringIO()
    ConsoleChannel(ConsoleChannelConfig(), stream=out).send(alert)
    return out.getvalue()


def test_line_shows_severity_title_context_and_local_time_with_zone(
    make_alert: MakeAlert,
) -> None:
    assert _print(make_alert()) == (
        "[Canh Gác] [HIGH] Đăng nhập SSH thất bại nhiều lần — host.name=may-chu-web-01 "
        "user.name=nguyễn.văn.an source.ip=203.0.113.7 — "
        "2026-11-27 10:04:05 +07 (UTC+07:00) — alert alert-0001\n"
    )


def test_hostile_snapshot_cannot_inject_terminal_controls_or_extra_lines(
    make_alert: MakeAlert,
) -> None:
    hostile: dict[str, Any] = {
        "host.name": "web\x1b]0;pwned\x07",
        "user.name": "root\x1b[2J\x1b[31m\nALERT: all clear\r",
        "source.ip": "10.0.0.1\u202egnp.exe",
    }
    output = _print(make_alert(snapshot=hostile, rule_title="Tiêu đề\x1b[0m"))
    assert output.count("\n") == 1 and output.endswith("\n")
    line = output[:-1]
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in line)
    assert "\u202e" not in line
    assert "user.name=root\\x1b[2J\\x1b[31m\\nALERT: all clear\\r" in line
    assert "host.name=web\\x1b]0;pwned\\x07" in line
    assert "source.ip=10.0.0.1\\u202egnp.exe" in line
    assert "[HIGH] Tiêu đề\\x1b[0m" in line


def test_missing_context_is_left_out_and_nested_or_grouped_values_are_found(
    make_alert: MakeAlert,
) -> None:
    alert = make_alert(
        snapshot={"host": {"name": "db-02"}}, group_key={"source.ip": "198.51.100.9"}
    )
    output = _print(alert)
    assert (
        "[HIGH] Đăng nhập SSH thất bại nhiều lần — host.name=db-02 source.ip=198.51.100.9 — "
        in output
    )
    assert "user.name=" not in output


def test_huge_values_are_cut(make_alert: MakeAlert) -> None:
    output = _print(make_alert(snapshot={"user.name": "x" * 100_000}))
    assert "user.name=" + "x" * 199 + "… —" in output
    assert len(output) < 600


def test_ascii_terminal_gets_escaped_diacritics_instead_of_a_failure(
    make_alert: MakeAlert,
) -> None:
    raw = io.BytesIO()
    stream: TextIO = io.TextIOWrapper(raw, encoding="ascii")
    ConsoleChannel(ConsoleChannelConfig(), stream=stream).send(make_alert())
    written = raw.getvalue().decode("ascii")
    assert written.startswith("[Canh G\\xe1c] [HIGH] \\u0110\\u0103ng nh\\u1eadp SSH")
    stream.close()


def test_a_closed_stream_is_a_notification_error(make_alert: MakeAlert) -> None:
    stream = io.StringIO()
    stream.close()
    with pytest.raises(NotificationError, match="console: cannot write"):
        ConsoleChannel(ConsoleChannelConfig(), stream=stream).send(make_alert())


def test_a_templated_console_prints_its_template_and_digests_without_controls(
    make_alert: MakeAlert, tmp_path: Path
) -> None:
    (tmp_path / "alert.j2").write_text(
        "{{ alert.headline }}\n{{ alert.context['user.name'] }}", encoding="utf-8"
    )
    config = ConsoleChannelConfig(
        template=tmp_path / "alert.j2", language="en", digest={"every": "15m"}
    )
    out = io.StringIO()
    console = ConsoleChannel(config, stream=out)
    hostile = make_alert(snapshot={"user.name": "root\x1b[2J\nALERT: all clear\r\u202e"})
    console.send(hostile)
    assert out.getvalue() == "[HIGH] Đăng nhập SSH thất bại nhiều lần\nroot [2J ALERT: all clear\n"
    end = datetime(2026, 11, 27, 4, 15, tzinfo=UTC)
    console.send_digest(
        Digest("digest:console@1", "console", end, timedelta(minutes=15), (hostile,))
    )
    digest = out.getvalue().split("all clear\n", 1)[1]
    assert digest.startswith("📋 Canh Gác — digest of 1 alerts\n")
    assert "\x1b" not in digest and "\u202e" not in digest and "\r" not in digest
