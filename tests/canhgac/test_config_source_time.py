"""A source's ``timezone`` and ``year``: checked when the configuration loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.config import FileSourceConfig, SyslogUdpSourceConfig
from canhgac.config_loader import load_settings
from canhgac.errors import ConfigError


def _load(tmp_path: Path, source: str) -> list[object]:
    path = tmp_path / "canhgac.yaml"
    path.write_text("sources:\n  - type: syslog_udp\n    name: udp\n" + source, encoding="utf-8")
    return list(load_settings(path).sources)


def test_default_zone_is_hanoi_and_year_is_inferred() -> None:
    source = FileSourceConfig(name="auth", path="/var/log/auth.log")
    assert (source.timezone, source.year) == ("Asia/Ho_Chi_Minh", None)


def test_zone_and_year_from_yaml(tmp_path: Path) -> None:
    [source] = _load(tmp_path, "    timezone: UTC\n    year: 2023\n")
    assert isinstance(source, SyslogUdpSourceConfig)
    assert (source.timezone, source.year) == ("UTC", 2023)


@pytest.mark.parametrize("zone", ["Asia/Hanoi", "GMT+7", "../../etc/passwd", ""])
def test_unknown_zone_is_refused_at_load_with_its_name(tmp_path: Path, zone: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"    timezone: '{zone}'\n")
    message = str(caught.value)
    assert f"unknown timezone {zone!r}" in message
    assert "timezone" in message and "Asia/Ho_Chi_Minh" in message


def test_year_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="year"):
        _load(tmp_path, "    year: 24\n")
