"""Configuration loading: defaults, YAML, environment precedence, one-line errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from canhgac.config import (
    FileSourceConfig,
    Settings,
    SQLiteStoreConfig,
    WebhookChannelConfig,
)
from canhgac.config_loader import load_settings
from canhgac.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "canhgac.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("CANHGAC_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert isinstance(settings.store, SQLiteStoreConfig)
    assert settings.store.path == "./var/canhgac.db"
    kinds = {(s.type, getattr(s, "port", None)) for s in settings.sources}
    assert kinds == {("syslog_udp", 5514), ("syslog_tcp", 5514), ("http", 8088)}
    assert all(getattr(s, "host", "127.0.0.1") == "127.0.0.1" for s in settings.sources)
    assert settings.transport.type == "memory"
    assert settings.detection.rules_dir == "./rules"


def test_yaml_values_and_durations(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sources:\n"
        "  - type: file\n"
        "    name: nginx\n"
        "    path: /var/log/nginx/access.log\n"
        "    parser: nginx\n"
        "    encoding: windows-1258\n"
        "detection:\n"
        "  default_interval: 30s\n"
        "  ingest_delay: 500ms\n",
    )
    settings = load_settings(path)
    [source] = settings.sources
    assert isinstance(source, FileSourceConfig) and source.encoding == "windows-1258"
    assert settings.detection.default_interval == timedelta(seconds=30)
    assert settings.detection.ingest_delay == timedelta(milliseconds=500)


def test_unknown_key_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "store:\n  type: sqlite\n  path: x.db\n  pth: y\n",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == f"{path}:4: unknown key 'store.pth'"


def test_every_problem_is_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "web:\n  port: many\nalerting:\n  channels:\n    - type: webhook\n      name: soc\n",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:2: 'web.port'")
    assert lines[1].startswith(f"{path}:5: 'alerting.channels.0.url'")


def test_environment_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "store:\n  path: from-yaml.db\nweb:\n  port: 9000\n")
    monkeypatch.setenv("CANHGAC_STORE__PATH", "from-env.db")
    settings = load_settings(path)
    assert settings.store.path == "from-env.db"
    assert settings.web.port == 9000


def test_secrets_from_files_are_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(
        tmp_path,
        "alerting:\n  channels:\n    - type: webhook\n      url: http://127.0.0.1:1/hook\n"
        "      secret: s3cr3t-from-yaml\n",
    )
    settings = load_settings(path)
    [channel] = settings.alerting.channels
    assert isinstance(channel, WebhookChannelConfig)
    assert channel.secret is not None
    assert channel.secret.get_secret_value() == "s3cr3t-from-yaml"
    assert "s3cr3t" not in repr(settings)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "store:\n  path: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"^{path}:\d+: invalid YAML"):
        load_settings(path)


def test_example_config_documents_a_valid_file() -> None:
    example = Path(__file__).parents[2] / "deploy" / "canhgac.example.yaml"
    settings = load_settings(example)
    assert isinstance(settings, Settings)


def _keys(model: type, out: set[str]) -> None:
    from typing import get_args

    from pydantic import BaseModel

    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        out.add(name)
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                _keys(tp, out)
            else:
                stack.extend(get_args(tp))


def test_example_config_mentions_every_key() -> None:
    example = (Path(__file__).parents[2] / "deploy" / "canhgac.example.yaml").read_text()
    keys: set[str] = set()
    _keys(Settings, keys)
    missing = sorted(k for k in keys if f"{k}:" not in example)
    assert missing == []


def test_unknown_section_type_names_the_line_and_a_close_match(tmp_path: Path) -> None:
    path = _write(tmp_path, "web:\n  port: 8080\nstore:\n  type: sqlit\n  path: x.db\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == (
        f"{path}:4: 'store.type': unknown type 'sqlit'; known: elasticsearch, sqlite"
        " (did you mean 'sqlite'?)"
    )


def test_union_tags_never_show_in_key_paths(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n  - type: syslog_udp\n    name: a\n    port: nope\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value).startswith(f"{path}:4: 'sources.0.port': ")


def test_secret_files_rank_between_environment_and_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "web:\n  port: 9000\n  host: 127.0.0.2\n")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "canhgac_web").write_text('{"port": 9100, "host": "127.0.0.3"}')
    monkeypatch.setenv("CANHGAC_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("CANHGAC_WEB__HOST", "127.0.0.4")
    web = load_settings(path).web
    assert (web.port, web.host) == (9100, "127.0.0.4")
    # Values passed in code rank above all of them.
    assert load_settings(path, web={"port": 9200}).web.port == 9200
