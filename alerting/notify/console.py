"""The console channel: one escaped line per alert on standard output.

A console that names a ``template`` prints that template's text instead (the ``text`` markup:
every value with its control characters stripped), and in digest mode it prints the digest
template's text once per period.
"""

from __future__ import annotations

import sys
from typing import TextIO

from alerting.notify.channel import Channel
from alerting.notify.digest import Digest
from alerting.notify.message import AlertLinks, alert_message
from alerting.notify.render import escape_controls, summary
from canhgac.config_channels import ConsoleChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Alert


def console_line(alert: Alert, link: str | None = None) -> str:
    """``[Canh Gác] [HIGH] title — host.name=… user.name=… source.ip=… — time — alert <id>``,
    then `` — <link>`` to its page in the web UI when there is one."""
    line = f"[Canh Gác] {summary(alert)} — alert {escape_controls(alert.id)}"
    return f"{line} — {escape_controls(link)}" if link else line


class ConsoleChannel(Channel):
    config_type = ConsoleChannelConfig
    markup = "text"

    def __init__(
        self,
        config: ConsoleChannelConfig,
        links: AlertLinks | None = None,
        *,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__(config, links)
        self._stream = stream

    def send(self, alert: Alert) -> None:
        if self.own_template:
            self._write(self.alert_text(alert_message(alert, self.links, self.language)))
        else:
            self._write(console_line(alert, self.links.alert(alert.id)))

    def send_digest(self, digest: Digest) -> None:
        self._write(self.digest_text(digest))

    def _write(self, text: str) -> None:
        # Looked up per send, not at construction, so a redirected sys.stdout is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        encoding = getattr(stream, "encoding", None)
        if encoding:
            # A terminal in an ASCII locale must still get the alert, with \u escapes for
            # the diacritics, rather than fail it over and over.
            text = text.encode(encoding, "backslashreplace").decode(encoding)
        try:
            stream.write(text + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            raise NotificationError(f"console: cannot write: {exc}") from exc
