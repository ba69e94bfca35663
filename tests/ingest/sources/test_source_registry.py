"""Every source type the configuration accepts has a builder, and builds that source."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.config import FileSourceConfig, SourceConfig, default_sources
from canhgac.errors import ConfigError
from ingest.sources.registry import SOURCES, build
from ingest.transport.memory import MemoryTransport
from tests.support.registries import assert_builds_every_config_type


def test_every_configured_source_type_has_a_builder() -> None:
    assert_builds_every_config_type(SOURCES, SourceConfig)


def test_build_makes_the_source_of_each_default_config(tmp_path: Path) -> None:
    transport = MemoryTransport()
    configs = [*default_sources(), FileSourceConfig(name="f", path=str(tmp_path / "x.log"))]
    sources = [build(config, transport, tmp_path) for config in configs]
    assert [s.name for s in sources] == [c.name for c in configs]
    assert [type(s).__name__ for s in sources] == [
        "SyslogUdpSource",
        "SyslogTcpSource",
        "HttpSource",
        "FileSource",
    ]


def test_unknown_type_is_a_config_error(tmp_path: Path) -> None:
    class Odd(FileSourceConfig):
        type: str = "carrier-pigeon"  # type: ignore[assignment]

    with pytest.raises(ConfigError, match="unknown source type 'carrier-pigeon'"):
        build(Odd(name="odd", path="x"), MemoryTransport(), tmp_path)
