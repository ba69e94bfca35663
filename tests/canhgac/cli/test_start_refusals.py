"""A start that cannot succeed is refused before anything exists: one line per problem with
its ``file:line``, exit code 2, no database, no admin account, no files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from canhgac.cli.config_checks import check_config
from canhgac.cli.listeners import check_listeners
from canhgac.config_loader import read_config
from canhgac.errors import ConfigError
from ingest.parse.registry import PARSERS
from tests.support.city_traffic import free_port

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"


def _config(tmp_path: Path, sources: str, *, web_port: int = 0) -> Path:
    path = tmp_path / "canhgac.yaml"
    path.write_text(
        f"data_dir: {tmp_path / 'var'}\n"
        f"store:\n  path: {tmp_path / 'var' / 'canhgac.db'}\n"
        f"detection:\n  rules_dir: {RULES}\n  pipeline: [{PIPELINE}]\n"
        f"web:\n  port: {web_port}\n"
        f"sources:\n{sources}",
        encoding="utf-8",
    )
    return path


def _run(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "canhgac", "run", "--config", str(config)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _problems(stderr: str) -> list[str]:
    lines = stderr.strip().splitlines()
    assert lines[0] == "configuration error"
    return lines[1:]


def test_named_values_are_refused_with_their_line_and_a_close_match(tmp_path: Path) -> None:
    path = tmp_path / "canhgac.yaml"
    path.write_text(
        f"detection:\n"
        f"  rules_dir: {RULES}\n"
        f"  pipeline: [./nope.yml]\n"
        f"alerting:\n"
        f"  channels:\n"
        f"    - type: console\n"
        f"      name: soc\n"
        f"web:\n"
        f"  assign_channel: so\n"
        f"sources:\n"
        f"  - type: file\n"
        f"    name: portal\n"
        f"    path: /var/log/nginx/access.log\n"
        f"    parser: nginxx\n"
        f"    encoding: windows-1259\n"
        f"  - type: file\n"
        f"    name: portal\n"
        f"    path: /var/log/other.log\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        check_config(read_config(path), ["collect", "index", "detect", "web"])
    assert str(info.value).splitlines() == [
        f"{path}:3: 'detection.pipeline.0': no pipeline file './nope.yml'",
        f"{path}:9: 'web.assign_channel': unknown channel 'so'; known: soc (did you mean 'soc'?)",
        f"{path}:14: 'sources.0.parser': unknown parser 'nginxx'; known:"
        f" {', '.join(PARSERS.names())} (did you mean 'nginx'?)",
        f"{path}:15: 'sources.0.encoding': unknown encoding 'windows-1259'",
        f"{path}:17: 'sources.1.name': source name 'portal' is used twice",
    ]


def test_checks_apply_to_the_roles_that_use_the_value(tmp_path: Path) -> None:
    # A collector on a city host has no rules folder; that is no problem for it.
    path = _config(tmp_path, "  - type: syslog_udp\n    name: udp\n    port: 0\n")
    path.write_text(path.read_text().replace(str(RULES), str(tmp_path / "no-rules")))
    config = read_config(path)
    check_config(config, ["collect"])
    with pytest.raises(ConfigError, match=r":5: 'detection.rules_dir': no rules folder"):
        check_config(config, ["detect"])


def test_a_bad_parser_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    port = free_port()
    path = _config(tmp_path, f"  - type: syslog_udp\n    name: udp\n    port: {port}\n")
    path.write_text(path.read_text() + "    parser: rfc3165\n")
    result = _run(path, tmp_path)
    assert result.returncode == 2, result.stderr
    assert _problems(result.stderr) == [
        f"{path}:13: 'sources.0.parser': unknown parser 'rfc3165'; known:"
        f" {', '.join(PARSERS.names())} (did you mean 'rfc3164'?)"
    ]
    assert not (tmp_path / "var").exists()


def test_a_udp_port_in_use_exits_2_naming_the_source_and_creates_nothing(
    tmp_path: Path,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        path = _config(tmp_path, f"  - type: syslog_udp\n    name: city-udp\n    port: {port}\n")
        result = _run(path, tmp_path)
    assert result.returncode == 2, result.stderr
    assert _problems(result.stderr) == [
        f"{path}:12: 'sources.0.port': source 'city-udp' cannot listen on udp"
        f" 127.0.0.1:{port}: address already in use"
    ]
    # No database, no first admin account, no demo files: nothing was started.
    assert not (tmp_path / "var").exists()


def test_a_tcp_port_in_use_by_a_listener_is_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = _config(
            tmp_path, "  - type: syslog_tcp\n    name: tcp\n    port: 0\n", web_port=port
        )
        with pytest.raises(ConfigError) as info:
            check_listeners(read_config(path), ["collect", "web"])
    assert str(info.value) == (
        f"{path}:8: 'web.port': web UI cannot listen on tcp 127.0.0.1:{port}:"
        " address already in use"
    )


def test_two_listeners_on_one_address_are_refused(tmp_path: Path) -> None:
    port = free_port()
    path = _config(
        tmp_path,
        f"  - type: syslog_tcp\n    name: a\n    port: {port}\n"
        f"  - type: http\n    name: b\n    port: {port}\n",
    )
    with pytest.raises(ConfigError, match=r":15: 'sources.1.port': source 'b' cannot listen"):
        check_listeners(read_config(path), ["collect"])
    # A port free for everyone passes, and is free again afterwards.
    path = _config(tmp_path, f"  - type: syslog_tcp\n    name: a\n    port: {port}\n")
    check_listeners(read_config(path), ["collect", "web"])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as again:
        again.bind(("127.0.0.1", port))
