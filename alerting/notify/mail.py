"""The email channel: a plain-text message, Vietnamese first then English, over SMTP.

The message is UTF-8, quoted-printable, with an RFC 2047 encoded subject, so a subject such as
"[Canh Gác][HIGH] Đăng nhập SSH thất bại" arrives intact through servers that only speak 7-bit.
The subject is encoded with :class:`email.header.Header` rather than the modern
``email.policy`` folder: the latter (CPython gh-144156, unfixed in 3.11) can fold a space
*between* two encoded words, where RFC 2047 says readers drop it, so "thất bại" would arrive
as "thấtbại". ``Header`` keeps such spaces inside the encoded words.

A channel that names a ``template`` gets that template's text as the body instead (the
``text`` markup); a digest's body is the channel's digest template.

Snapshot values are attacker-controlled: control characters are removed everywhere, which also
rules out header injection through a crafted user name.

5xx SMTP replies (and a refused recipient list, failed login, missing STARTTLS) are permanent;
4xx replies, disconnects and network errors are retried by the dispatcher.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from alerting.notify.channel import Channel, PermanentNotificationError
from alerting.notify.digest import Digest
from alerting.notify.message import AlertLinks, alert_message
from alerting.notify.render import (
    context,
    display_time,
    shorten,
    snapshot_value,
    strip_controls,
)
from canhgac.config_channels import EmailChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert, Severity

SEVERITY_VI = {
    Severity.informational: "Thông tin",
    Severity.low: "Thấp",
    Severity.medium: "Trung bình",
    Severity.high: "Cao",
    Severity.critical: "Nghiêm trọng",
}

#: Labels of the context fields: (Vietnamese, English).
CONTEXT_LABELS = {
    "host.name": ("Máy chủ", "Host"),
    "user.name": ("Người dùng", "User"),
    "source.ip": ("IP nguồn", "Source IP"),
}

_MAX_SUBJECT_CHARS = 200
_MAX_ORIGINAL_CHARS = 2000
DEFAULT_TIMEOUT_S = 30.0

log = logging.getLogger(__name__)


def subject(alert: Alert) -> str:
    """``[Canh Gác][HIGH] <rule title> — <host>, <user>, <source ip>``, single line."""
    text = f"[Canh Gác][{alert.severity.upper()}] {alert.rule_title}"
    who = ", ".join(context(alert).values())
    if who:
        text += f" — {who}"
    return shorten(" ".join(strip_controls(text).split()), _MAX_SUBJECT_CHARS)


def _clean(text: str) -> str:
    return strip_controls(text).strip()


def body(alert: Alert, link: str | None = None) -> str:
    """The plain-text body: the Vietnamese section, then the same facts in English; ``link``
    is the alert's page in the web UI."""
    severity = alert.severity.upper()
    # Rows of (Vietnamese label, English label, Vietnamese value, English value).
    rows: list[tuple[str, str, str, str]] = [
        ("Mức độ", "Severity", f"{SEVERITY_VI[alert.severity]} ({severity})", severity),
    ]
    facts = [("Quy tắc", "Rule", alert.rule_title), ("Thời gian", "Time", display_time(alert))]
    facts += [(*CONTEXT_LABELS[field], value) for field, value in context(alert).items()]
    facts += [
        ("Số sự kiện", "Events", str(alert.count)),
        ("Mã quy tắc", "Rule id", alert.rule_id),
        ("Mã cảnh báo", "Alert id", alert.id),
    ]
    if link is not None:
        facts.append(("Xem cảnh báo", "Alert page", link))
    original = snapshot_value(alert, "event.original")
    if original is not None:
        facts.append(("Sự kiện gốc", "Original event", original))
    rows += [(vi, en, _clean(value), _clean(value)) for vi, en, value in facts]
    description = strip_controls(alert.rule_description, keep_newlines=True).strip()

    def section(title: str, language: int) -> list[str]:
        width = max(len(row[language]) for row in rows) + 1
        lines = [title, ""]
        lines += [f"{row[language] + ':':<{width}} {row[language + 2]}" for row in rows]
        if description:
            # The rule's own text, in whatever language its author wrote it.
            lines += ["", ("Mô tả:", "Description:")[language], description]
        return lines

    vietnamese = section("CẢNH BÁO AN NINH — Canh Gác", 0)
    english = section("SECURITY ALERT — Canh Gác", 1)
    return "\n".join([*vietnamese, "", "-" * 40, "", *english, ""])


#: A digest's subject, with its number of alerts.
DIGEST_SUBJECT = {
    "vi": "[Canh Gác] Tổng hợp {count} cảnh báo",
    "en": "[Canh Gác] Digest of {count} alerts",
}


class EmailChannel(Channel):
    config_type = EmailChannelConfig
    markup = "text"

    def __init__(
        self,
        config: EmailChannelConfig,
        links: AlertLinks | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(config, links)
        self.max_attempts = config.max_attempts
        self._config = config
        self._timeout = timeout
        self._tls_context = tls_context

    def message(self, alert: Alert) -> MIMEText:
        if not self.own_template:
            text = body(alert, self.links.alert(alert.id))
        else:
            text = self.alert_text(alert_message(alert, self.links, self.language)) + "\n"
        msg = self._mime(text, subject(alert))
        msg["X-Canhgac-Alert-Id"] = _clean(alert.id)
        return msg

    def digest_message(self, digest: Digest) -> MIMEText:
        title = DIGEST_SUBJECT[self.language].format(count=len(digest.alerts))
        msg = self._mime(self.digest_text(digest) + "\n", title)
        msg["X-Canhgac-Digest-Id"] = _clean(digest.id)
        return msg

    def _mime(self, text: str, title: str) -> MIMEText:
        config = self._config
        utf8_qp = Charset("utf-8")
        utf8_qp.body_encoding = QP  # readable in a raw view, 7-bit safe
        msg = MIMEText(text, "plain", utf8_qp)  # type: ignore[arg-type]  # accepts a Charset
        msg["Subject"] = Header(title, "utf-8")  # type: ignore[assignment]  # see above
        msg["From"] = config.sender
        msg["To"] = ", ".join(config.recipients)
        msg["Date"] = formatdate(usegmt=True)
        # An explicit domain: make_msgid() would otherwise resolve this host's FQDN (slow DNS).
        msg["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or "canhgac")
        return msg

    def send(self, alert: Alert) -> None:
        self._deliver(self.message(alert), alert.id)

    def send_digest(self, digest: Digest) -> None:
        self._deliver(self.digest_message(digest), digest.id)

    def _deliver(self, msg: MIMEText, what: str) -> None:
        config = self._config
        target = f"smtp {config.host}:{config.port}"
        try:
            with smtplib.SMTP(config.host, config.port, timeout=self._timeout) as smtp:
                if config.starttls:
                    smtp.starttls(context=self._tls_context or ssl.create_default_context())
                if config.username:
                    password = config.password.get_secret_value() if config.password else ""
                    smtp.login(config.username, password)
                refused = smtp.send_message(
                    msg, from_addr=config.sender, to_addrs=config.recipients
                )
        except smtplib.SMTPRecipientsRefused as exc:
            names = ", ".join(sorted(exc.recipients))
            message = f"{target}: all recipients refused: {names}"
            raise PermanentNotificationError(message) from None
        except smtplib.SMTPResponseException as exc:
            reply = _clean(_decode(exc.smtp_error))
            message = f"{target}: {exc.smtp_code} {reply}"
            if exc.smtp_code >= 500:
                raise PermanentNotificationError(message) from None
            raise NotificationError(message) from None
        except UnicodeEncodeError:
            # smtplib sends AUTH credentials as ASCII only; no retry can change that.
            raise PermanentNotificationError(
                f"{target}: the SMTP user name and password must be ASCII"
            ) from None
        except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as exc:
            raise PermanentNotificationError(f"{target}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(f"{target}: {exc or type(exc).__name__}") from None
        if refused:
            # Some recipients have it; sending again would duplicate theirs, so this counts
            # as delivered and the refusals go to the log.
            log.warning("%s: %s not accepted for %s", target, what, ", ".join(sorted(refused)))


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
