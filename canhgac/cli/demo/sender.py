"""Deliver demo lines through a running instance's real inputs, as city hosts would.

- syslog over UDP: one datagram per line;
- syslog over TCP: one connection, RFC 6587 octet-counted frames (``<len> <msg>``);
- HTTP: NDJSON bodies POSTed to the intake (``/ingest``), retried while the instance starts;
- file: appended to the file the instance tails, flushed line by line.

Every channel connects lazily, so a demo that sends no Windows events never opens HTTP.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from canhgac.cli.demo.model import Channel, LogLine
from canhgac.config import (
    FileSourceConfig,
    HttpSourceConfig,
    Settings,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.errors import CanhGacError
from canhgac.retry import RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_FILE = "./var/demo/dichvucong-access.log"
# Statuses that mean "not now": the instance is starting, or its transport is full.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_LINES_PER_POST = 500


class DemoSendError(CanhGacError):
    """A channel could not deliver demo lines (after its retries)."""


class DemoTargets(BaseModel):
    """Where a running instance listens: its syslog, HTTP and tailed-file inputs.

    An input the instance does not have is switched off (``syslog_udp``/``syslog_tcp``
    False, ``http_url``/``file_path`` None): syslog lines then travel over the other syslog
    transport, HTTP and file lines are skipped (and counted in :attr:`DemoSender.skipped`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    syslog_host: str = "127.0.0.1"
    syslog_port: int = Field(default=5514, ge=1, le=65535)
    syslog_tcp_port: int | None = Field(
        default=None, ge=1, le=65535, description="TCP port if not syslog_port."
    )
    syslog_udp: bool = True
    syslog_tcp: bool = True
    http_url: str | None = "http://127.0.0.1:8088/ingest"
    http_token: SecretStr | None = None
    file_path: str | None = DEFAULT_FILE

    @property
    def tcp_port(self) -> int:
        return self.syslog_tcp_port or self.syslog_port

    def route(self, channel: Channel) -> Channel | None:
        """The channel a line of ``channel`` actually takes; None if it cannot be sent."""
        if channel is Channel.syslog_udp and not self.syslog_udp:
            return Channel.syslog_tcp if self.syslog_tcp else None
        if channel is Channel.syslog_tcp and not self.syslog_tcp:
            return Channel.syslog_udp if self.syslog_udp else None
        if channel is Channel.http and self.http_url is None:
            return None
        if channel is Channel.file and self.file_path is None:
            return None
        return channel


def targets_from_settings(settings: Settings, file_path: str | None = None) -> DemoTargets:
    """Targets matching the configured sources (wildcard listen addresses become loopback).

    ``file_path`` is the demo's access log, which the instance must tail; without it, the
    first file source's path is used (if it names one file), else file lines are skipped.
    """
    sources = list(settings.sources)
    udp = next((s for s in sources if isinstance(s, SyslogUdpSourceConfig)), None)
    tcp = next((s for s in sources if isinstance(s, SyslogTcpSourceConfig)), None)
    web = next((s for s in sources if isinstance(s, HttpSourceConfig)), None)
    tailed = next((s for s in sources if isinstance(s, FileSourceConfig)), None)
    syslog = udp or tcp
    values: dict[str, object] = {
        "syslog_udp": udp is not None,
        "syslog_tcp": tcp is not None,
        "http_url": None,
        "file_path": file_path,
    }
    if syslog is not None:
        values["syslog_host"] = _reachable(syslog.host)
        values["syslog_port"] = syslog.port
    if tcp is not None:
        values["syslog_tcp_port"] = tcp.port
    if web is not None:
        host = _reachable(web.host)
        host = f"[{host}]" if ":" in host else host
        values["http_url"] = f"http://{host}:{web.port}/ingest"
        values["http_token"] = web.token
    if file_path is None and tailed is not None and not any(c in tailed.path for c in "*?["):
        values["file_path"] = tailed.path
    return DemoTargets.model_validate(values)


def _reachable(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


class DemoSender:
    """Sends lines to :class:`DemoTargets`; use as a context manager (it holds sockets)."""

    def __init__(
        self,
        targets: DemoTargets,
        *,
        attempts: int = 5,
        backoff_s: float = 0.5,
        timeout_s: float = 10.0,
        cooldown_s: float = 0.0,
        max_file_bytes: int | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.targets = targets
        self.sent: Counter[Channel] = Counter()  # by the channel actually used
        self.skipped: Counter[Channel] = Counter()  # lines for an input the instance lacks
        self.dropped: Counter[Channel] = Counter()  # lines for an input that is cooling down
        # After a channel fails, its lines are dropped for ``cooldown_s`` instead of retried,
        # so a dead input does not hold up the others on every send (the feeder's mode).
        self._cooldown_s = cooldown_s
        self._down_until: dict[Channel, float] = {}
        self._clock = clock
        # A file that reaches this size is rotated to "<name>.1" (the previous one is lost),
        # so a demo left running for days does not fill the disk.
        self._max_file_bytes = max_file_bytes
        self._attempts = max(1, attempts)
        self._retry = RetryPolicy(initial=backoff_s)
        self._timeout_s = timeout_s
        self._sleep = sleep
        self._udp: socket.socket | None = None
        self._udp_address: tuple[str, int] | None = None
        self._tcp: socket.socket | None = None
        self._file: IO[bytes] | None = None
        # One idempotency key per POST: a retried POST is stored once by the instance.
        self._session = uuid.uuid4().hex[:12]
        self._posts = itertools.count()
        self._channels: dict[Channel, Callable[[list[bytes]], None]] = {
            Channel.syslog_udp: self._send_udp,
            Channel.syslog_tcp: self._send_tcp,
            Channel.http: self._send_http,
            Channel.file: self._send_file,
        }

    def send(self, lines: Sequence[LogLine]) -> None:
        """Deliver ``lines``; per channel they keep their order.

        Every channel is tried even when another fails; then DemoSendError names each
        failure (lines of a cooling-down channel are dropped and counted instead).
        """
        by_channel: dict[Channel, list[bytes]] = {}
        for line in lines:
            channel = self.targets.route(line.channel)
            if channel is None:
                self.skipped[line.channel] += 1
                continue
            by_channel.setdefault(channel, []).append(line.text.encode("utf-8"))
        problems: list[str] = []
        for channel, payloads in by_channel.items():
            if self._clock() < self._down_until.get(channel, float("-inf")):
                self.dropped[channel] += len(payloads)
                continue
            try:
                self._channels[channel](payloads)
            except DemoSendError as exc:
                problems.append(str(exc))
                self.dropped[channel] += len(payloads)
                if self._cooldown_s > 0:
                    self._down_until[channel] = self._clock() + self._cooldown_s
                continue
            self.sent[channel] += len(payloads)
        if problems:
            raise DemoSendError("; ".join(problems))

    # --- syslog UDP -----------------------------------------------------------------------
    def _send_udp(self, payloads: list[bytes]) -> None:
        try:
            if self._udp is None or self._udp_address is None:
                family, _, _, _, address = socket.getaddrinfo(
                    self.targets.syslog_host, self.targets.syslog_port, type=socket.SOCK_DGRAM
                )[0]
                self._udp = socket.socket(family, socket.SOCK_DGRAM)
                self._udp_address = (str(address[0]), int(address[1]))
            for payload in payloads:
                self._udp.sendto(payload, self._udp_address)
        except OSError as exc:
            raise DemoSendError(f"syslog UDP to {self._where_udp()}: {exc}") from exc

    def _where_udp(self) -> str:
        return f"{self.targets.syslog_host}:{self.targets.syslog_port}"

    # --- syslog TCP -----------------------------------------------------------------------
    def _send_tcp(self, payloads: list[bytes]) -> None:
        frames = b"".join(b"%d %s" % (len(payload), payload) for payload in payloads)
        where = f"{self.targets.syslog_host}:{self.targets.tcp_port}"
        for attempt in range(1, self._attempts + 1):
            try:
                if self._tcp is None:
                    self._tcp = socket.create_connection(
                        (self.targets.syslog_host, self.targets.tcp_port), self._timeout_s
                    )
                self._tcp.sendall(frames)
                return
            except OSError as exc:
                self._close_tcp()
                if attempt == self._attempts:
                    raise DemoSendError(f"syslog TCP to {where}: {exc}") from exc
                log.debug("syslog TCP to %s failed (%s); retrying", where, exc)
                self._sleep(self._retry.delay(attempt))

    def _close_tcp(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
            self._tcp = None

    # --- HTTP -----------------------------------------------------------------------------
    def _send_http(self, payloads: list[bytes]) -> None:
        for start in range(0, len(payloads), MAX_LINES_PER_POST):
            body = b"\n".join(payloads[start : start + MAX_LINES_PER_POST]) + b"\n"
            self._post(body, f"canhgac-demo-{self._session}-{next(self._posts)}")

    def _post(self, body: bytes, key: str) -> None:
        url = str(self.targets.http_url)
        headers = {"Content-Type": "application/x-ndjson", "Idempotency-Key": key}
        if self.targets.http_token is not None:
            headers["Authorization"] = f"Bearer {self.targets.http_token.get_secret_value()}"
        for attempt in range(1, self._attempts + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                    response.read()
                return
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:200].decode("utf-8", "replace")
                exc.close()
                problem = f"HTTP {exc.code} {detail}"
                if exc.code not in RETRY_STATUSES:
                    raise DemoSendError(f"POST {url}: {problem}") from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                problem = str(getattr(exc, "reason", exc))
            if attempt == self._attempts:
                raise DemoSendError(f"POST {url}: {problem} (after {attempt} attempts)")
            log.debug("POST %s failed (%s); retrying", url, problem)
            self._sleep(self._retry.delay(attempt))

    # --- tailed file ----------------------------------------------------------------------
    def _send_file(self, payloads: list[bytes]) -> None:
        try:
            path = Path(str(self.targets.file_path))
            for payload in payloads:
                if self._file is None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._file = path.open("ab")
                # One write and flush per line: the tailer never sees half a line for long.
                self._file.write(payload + b"\n")
                self._file.flush()
                if self._max_file_bytes is not None and self._file.tell() >= self._max_file_bytes:
                    # logrotate's rename-and-create: the tailer finishes the renamed file
                    self._file.close()
                    self._file = None
                    path.replace(path.with_name(path.name + ".1"))
        except OSError as exc:
            raise DemoSendError(f"file {self.targets.file_path}: {exc}") from exc

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._close_tcp()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> DemoSender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
