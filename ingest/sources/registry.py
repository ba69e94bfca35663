"""Source registry: the config ``type`` of a source -> the builder of that source."""

from __future__ import annotations

from pathlib import Path

from canhgac.config import (
    FileSourceConfig,
    HttpSourceConfig,
    SourceBase,
    SyslogTcpSourceConfig,
    SyslogUdpSourceConfig,
)
from canhgac.registry import Builder, Registry
from ingest.sources.audit_joining import JOINING_PARSERS, AuditJoiningSender
from ingest.sources.base import Source
from ingest.sources.file import FileSource
from ingest.sources.http import HttpSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.transport.base import Sender


def _file(config: FileSourceConfig, sender: Sender, state_dir: Path) -> Source:
    return FileSource(config, sender, state_dir)


def _syslog_udp(config: SyslogUdpSourceConfig, sender: Sender, _: Path) -> Source:
    return SyslogUdpSource(config, sender)


def _syslog_tcp(config: SyslogTcpSourceConfig, sender: Sender, _: Path) -> Source:
    return SyslogTcpSource(config, sender)


def _http(config: HttpSourceConfig, sender: Sender, _: Path) -> Source:
    return HttpSource(config, sender)


#: Builders take (the config of that type, the transport's sending end, the directory for
#: checkpoints); only the file source keeps checkpoints.
SOURCES: Registry[Builder[[Sender, Path], Source]] = Registry(
    "source type",
    {
        "file": Builder(FileSourceConfig, _file),
        "syslog_udp": Builder(SyslogUdpSourceConfig, _syslog_udp),
        "syslog_tcp": Builder(SyslogTcpSourceConfig, _syslog_tcp),
        "http": Builder(HttpSourceConfig, _http),
    },
)


def build(config: SourceBase, sender: Sender, state_dir: str | Path) -> Source:
    """The (not yet started) source for one ``sources:`` entry of the configuration.
    Sources that may carry audit lines send through their own joining step."""
    kind = str(getattr(config, "type", ""))
    if kind in _LINE_SOURCES and config.parser in JOINING_PARSERS:
        timeout = config.auditd_join_timeout.total_seconds()
        sender = AuditJoiningSender(sender, name=config.name, timeout=timeout)
    return SOURCES.get(kind)(config, sender, Path(state_dir))


_LINE_SOURCES = frozenset(("file", "syslog_udp", "syslog_tcp"))
