"""Sending through a syslog daemon as a local program does: util-linux logger writes each
message to the daemon's private socket, as syslog(3) writes to /dev/log."""

from __future__ import annotations

from collections.abc import Sequence

from tests.senders.delivery import Send
from tests.senders.programs import Daemon, logger, to_socket


def through(daemon: Daemon) -> Send:
    def send(tag: str, pid: int, priority: str, messages: Sequence[str]) -> None:
        logger(to_socket(daemon.socket), tag, pid, priority, messages)

    return send
