"""Before anything is created, make sure every address this process will listen on is free.

A port already in use would otherwise fail a listener halfway through starting, after the
database, the first admin account and the demo files exist, with a traceback. Here each
listener is bound (and let go) first, all at once so two listeners of one process on the
same address are caught too; the problem is one line naming the listener, the protocol,
the address and the port, at the ``file:line`` of its port setting.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

from canhgac.config import (
    HttpSourceConfig,
    Settings,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.config_loader import ConfigFile, refuse
from canhgac.yaml_lines import KeyPath

#: The sources that listen, and the socket type each listens with.
SOURCE_SOCKETS: dict[type, socket.SocketKind] = {
    SyslogUdpSourceConfig: socket.SOCK_DGRAM,
    SyslogTcpSourceConfig: socket.SOCK_STREAM,
    HttpSourceConfig: socket.SOCK_STREAM,
}
NetworkSource = SyslogUdpSourceConfig | SyslogTcpSourceConfig | HttpSourceConfig
_PROTOCOL = {socket.SOCK_DGRAM: "udp", socket.SOCK_STREAM: "tcp"}


@dataclass(frozen=True, slots=True)
class Listener:
    label: str  # "source 'syslog-udp'", "web UI"
    kind: socket.SocketKind
    host: str
    port: int
    loc: KeyPath  # where the port is configured

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{_PROTOCOL[self.kind]} {host}:{self.port}"


def listeners(settings: Settings, roles: Iterable[str]) -> Iterator[Listener]:
    """What a process running ``roles`` with ``settings`` listens on (port 0 left out: any
    free port will do)."""
    wanted = set(roles)
    if "collect" in wanted:
        for index, source in enumerate(settings.sources):
            if isinstance(source, NetworkSource):
                label, kind = f"source {source.name!r}", SOURCE_SOCKETS[type(source)]
                loc = ("sources", index, "port")
                yield Listener(label, kind, source.host, source.port, loc)
    if "web" in wanted and settings.web.enabled:
        web = settings.web
        yield Listener("web UI", socket.SOCK_STREAM, web.host, web.port, ("web", "port"))
    if settings.metrics.enabled:
        metrics = settings.metrics
        yield Listener(
            "metrics", socket.SOCK_STREAM, metrics.host, metrics.port, ("metrics", "port")
        )


def check_listeners(config: ConfigFile, roles: Iterable[str]) -> None:
    """Raise ConfigError, one line per listener, if any address cannot be listened on."""
    problems: list[tuple[int, str]] = []
    with ExitStack() as held:
        for listener in listeners(config.settings, roles):
            if listener.port == 0:
                continue
            try:
                held.enter_context(_bound(listener))
            except OSError as exc:
                reason = _reason(exc)
                message = f"{listener.label} cannot listen on {listener.address}: {reason}"
                problems.append(config.problem(listener.loc, message))
    refuse(problems)


def _bound(listener: Listener) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        listener.host, listener.port, type=listener.kind
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if kind == socket.SOCK_STREAM:
            # As every TCP server here does, so a port in TIME_WAIT after a restart is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        if kind == socket.SOCK_STREAM:
            sock.listen(1)  # two bound, unlistening sockets with SO_REUSEADDR do not clash
    except OSError:
        sock.close()
        raise
    return sock


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]
