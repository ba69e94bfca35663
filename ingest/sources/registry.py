"""Source registry: the config ``type`` of a source -> the function that builds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from canhgac.config import SourceBase
from canhgac.errors import ConfigError
from ingest.sources.base import Source
from ingest.sources.file import FileSource
from ingest.sources.http import HttpSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.transport.base import Sender

# (config of that type, the transport's sending end, the directory for checkpoints)
SourceBuilder = Callable[[Any, Sender, Path], Source]

BUILDERS: dict[str, SourceBuilder] = {
    "file": lambda config, sender, state_dir: FileSource(config, sender, state_dir),
    "syslog_udp": lambda config, sender, _: SyslogUdpSource(config, sender),
    "syslog_tcp": lambda config, sender, _: SyslogTcpSource(config, sender),
    "http": lambda config, sender, _: HttpSource(config, sender),
}


def build(config: SourceBase, sender: Sender, state_dir: str | Path) -> Source:
    """The (not yet started) source for one ``sources:`` entry of the configuration."""
    kind = str(getattr(config, "type", ""))
    try:
        builder = BUILDERS[kind]
    except KeyError:
        known = ", ".join(sorted(BUILDERS))
        raise ConfigError(
            f"source {config.name!r}: unknown type {kind!r}; known: {known}"
        ) from None
    return builder(config, sender, Path(state_dir))
