"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1: Vietnamese subject
and body survive MIME encoding, recipients are right, failures are classified."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerting.notify.channel import PermanentNotificationError
from alerting.notify.mail import EmailChannel
from canhgac.config import EmailChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert

RECIPIENTS = ["soc@hanoi.example", "truc.ban@hanoi.example"]
PASSWORD = "s3cret-SMTP-pass"


# --- a real SMTP server ------------------------------------------------------------------------
@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class MailSink:
    """aiosmtpd handler: keeps each message; can refuse recipients or answer DATA otherwise."""

    refuse_recipients: bool = False
    data_reply: str = "250 OK"
    received: list[Mail] = field(default_factory=list)

    async def handle_RCPT(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_recipients:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(
                Mail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return self.data_reply


class _Server(Controller):
    """aiosmtpd's threaded controller on a port the OS picks."""

    def _trigger_server(self) -> None:
        # The base class connects to self.port to warm up; with port 0 learn the real one first.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


def _check_password(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(
        b"canhgac", PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


#: Password auth without TLS: acceptable for a test-only server on loopback.
AUTH: dict[str, Any] = {"authenticator": _check_password, "auth_require_tls": False}


@pytest.fixture
def smtp() -> Iterator[Callable[..., tuple[MailSink, int]]]:
    running: list[_Server] = []

    def start(sink: MailSink | None = None, **options: Any) -> tuple[MailSink, int]:
        sink = sink or MailSink()
        server = _Server(sink, hostname="127.0.0.1", port=0, server_hostname="smtp.test", **options)
        server.start()
        running.append(server)
        return sink, int(server.port)

    yield start
    for server in running:
        server.stop()


def _channel(port: int, **options: Any) -> EmailChannel:
    config = EmailChannelConfig(
        name="mail",
        host="127.0.0.1",
        port=port,
        sender="canhgac@hanoi.example",
        recipients=RECIPIENTS,
        **options,
    )
    return EmailChannel(config, timeout=5)


# --- tests ----------------------------------------------------------------------------------
def test_vietnamese_subject_and_bilingual_body_arrive_intact(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    sink, port = smtp()
    _channel(port).send(make_alert())

    [mail] = sink.received
    assert mail.mail_from == "canhgac@hanoi.example"
    assert mail.rcpt_tos == RECIPIENTS
    raw_headers = mail.content.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii()  # RFC 2047 encoded words, so 7-bit relays keep them
    assert mail.content.isascii()  # the body is quoted-printable
    message = mail.parsed()
    assert message["Subject"] == (
        "[Canh Gác][HIGH] Đăng nhập SSH thất bại nhiều lần — "
        "may-chu-web-01, nguyễn.văn.an, 203.0.113.7"
    )
    assert message["To"] == ", ".join(RECIPIENTS)
    assert message["X-Canhgac-Alert-Id"] == "alert-0001"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    text = message.get_content().replace("\r\n", "\n")  # CRLF is SMTP's line ending
    vietnamese, english = text.split("-" * 40)
    assert vietnamese.lstrip().startswith("CẢNH BÁO AN NINH — Canh Gác")
    assert "Mức độ:      Cao (HIGH)" in vietnamese
    assert "Quy tắc:     Đăng nhập SSH thất bại nhiều lần" in vietnamese
    assert "Thời gian:   2026-11-27 10:04:05 +07 (UTC+07:00)" in vietnamese
    assert "Người dùng:  nguyễn.văn.an" in vietnamese
    assert "IP nguồn:    203.0.113.7" in vietnamese
    assert "Số sự kiện:  7" in vietnamese
    assert "Mô tả:\nNhiều lần đăng nhập SSH thất bại từ một địa chỉ IP." in vietnamese
    assert english.lstrip().startswith("SECURITY ALERT — Canh Gác")
    assert "Severity:       HIGH" in english
    assert "Source IP:      203.0.113.7" in english
    assert "Original event: Failed password for nguyễn.văn.an from 203.0.113.7" in english
    assert "Description:\nNhiều lần đăng nhập" in english


def test_hostile_snapshot_cannot_inject_headers_or_control_characters(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    sink, port = smtp()
    hostile = {
        "user.name": "root\r\nBcc: attacker@evil.example\r\n\x1b[2J",
        "event.original": "line\x00with\x07controls\u202e",
    }
    _channel(port).send(make_alert(snapshot=hostile))

    [mail] = sink.received
    message = mail.parsed()
    assert message["Bcc"] is None
    assert mail.rcpt_tos == RECIPIENTS
    assert "\n" not in message["Subject"] and "\x1b" not in message["Subject"]
    assert "root Bcc: attacker@evil.example" in message["Subject"]
    text = message.get_content().replace("\r\n", "\n")
    assert not any(ch in text for ch in "\x00\x07\x1b\r\u202e")
    assert "line with controls" in text


def test_login_with_the_secret_password(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    sink, port = smtp(**AUTH)
    _channel(port, username="canhgac", password=PASSWORD).send(make_alert())
    assert len(sink.received) == 1


def test_a_non_ascii_password_is_a_clear_permanent_error(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    _, port = smtp(**AUTH)
    with pytest.raises(PermanentNotificationError, match="must be ASCII") as raised:
        _channel(port, username="canhgac", password="mật-khẩu").send(make_alert())
    assert "mật-khẩu" not in str(raised.value)


def test_wrong_password_fails_permanently(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    sink, port = smtp(**AUTH)
    with pytest.raises(PermanentNotificationError, match="535") as raised:
        _channel(port, username="canhgac", password="wrong").send(make_alert())
    assert "wrong" not in str(raised.value)
    assert sink.received == []


def test_refused_recipients_fail_permanently(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    _, port = smtp(MailSink(refuse_recipients=True))
    with pytest.raises(PermanentNotificationError, match="all recipients refused: soc@"):
        _channel(port).send(make_alert())


@pytest.mark.parametrize(
    ("reply", "permanent"), [("451 4.3.0 try again later", False), ("554 5.6.0 rejected", True)]
)
def test_data_replies_are_classified_by_code(
    smtp: Callable[..., tuple[MailSink, int]],
    make_alert: Callable[..., Alert],
    reply: str,
    permanent: bool,
) -> None:
    _, port = smtp(MailSink(data_reply=reply))
    with pytest.raises(NotificationError, match=reply.split()[0]) as raised:
        _channel(port).send(make_alert())
    assert isinstance(raised.value, PermanentNotificationError) is permanent


def test_starttls_required_but_not_offered_fails_permanently(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert]
) -> None:
    _, port = smtp()
    with pytest.raises(PermanentNotificationError, match="STARTTLS"):
        _channel(port, starttls=True).send(make_alert())


def test_unreachable_server_is_retryable(make_alert: Callable[..., Alert]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with pytest.raises(NotificationError, match=f"smtp 127.0.0.1:{port}") as raised:
        _channel(port).send(make_alert())
    assert not isinstance(raised.value, PermanentNotificationError)


def test_a_digest_arrives_as_one_mail_with_its_id_and_a_template_replaces_the_body(
    smtp: Callable[..., tuple[MailSink, int]], make_alert: Callable[..., Alert], tmp_path: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from alerting.notify.digest import Digest
    from alerting.notify.message import AlertLinks

    sink, port = smtp()
    template = tmp_path / "mail.j2"
    template.write_text("Cảnh báo {{ alert.title }} — {{ link(alert.link, 'xem') }}\n", "utf-8")
    config = EmailChannelConfig(
        name="mail",
        host="127.0.0.1",
        port=port,
        recipients=RECIPIENTS,
        template=template,
        digest={"every": "15m"},
    )
    channel = EmailChannel(config, AlertLinks("https://soc.hanoi.example"), timeout=5)
    alerts = (make_alert(severity="low"), make_alert(id="alert-0002", severity="medium"))
    end = datetime(2026, 11, 27, 4, 15, tzinfo=UTC)
    channel.send_digest(Digest("digest:mail@x", "mail", end, timedelta(minutes=15), alerts))
    channel.send(make_alert())

    digest, single = (mail.parsed() for mail in sink.received)
    assert digest["Subject"] == "[Canh Gác] Tổng hợp 2 cảnh báo"
    assert digest["X-Canhgac-Digest-Id"] == "digest:mail@x"
    text = digest.get_content()
    assert "tổng hợp 2 cảnh báo" in text and "MEDIUM: 1" in text and "LOW: 1" in text
    assert "xem: https://soc.hanoi.example/alerts/alert-0001" in single.get_content()
    assert single.get_content().startswith("Cảnh báo Đăng nhập SSH thất bại nhiều lần")
