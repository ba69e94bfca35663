"""Reading the configuration: the YAML file, the environment and secret files -> Settings.

The YAML file is one more pydantic-settings source (an ``InitSettingsSource`` over its parsed
data), placed below the environment and secret files in the order that
:meth:`canhgac.config.Settings.settings_customise_sources` declares, and handed to the
Settings constructor as its pre-built sources, so no module state carries it.

Every problem becomes one line ``file:line: 'key.path': message``, in file order, the line
found with :mod:`canhgac.yaml_lines`. :class:`ConfigFile` keeps that index so checks made
later, where the registries are known (the CLI checks parser names, pipeline files...),
report their problems the same way.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, Tag, ValidationError
from pydantic_settings import InitSettingsSource, PydanticBaseSettingsSource
from pydantic_settings.sources import (
    DefaultSettingsSource,
    DotEnvSettingsSource,
    EnvSettingsSource,
    SecretsSettingsSource,
)

from canhgac.config import Settings
from canhgac.errors import ConfigError
from canhgac.yaml_lines import FAST_SAFE_LOADER, KeyPath, YamlLines

DEFAULTS_LABEL = "<defaults>"


@dataclass(frozen=True)
class ConfigFile:
    """Validated settings with where each of their keys was written."""

    settings: Settings
    label: str = DEFAULTS_LABEL
    lines: YamlLines = field(default_factory=lambda: YamlLines(""))

    def where(self, loc: KeyPath) -> tuple[int, str]:
        """(line or 0, ``file:line``) of ``loc`` or of its nearest ancestor in the file."""
        line = self.lines.key(*loc)
        return (line, f"{self.label}:{line}") if line else (0, self.label)

    def problem(self, loc: KeyPath, message: str) -> tuple[int, str]:
        """(line or 0, ``file:line: 'key.path': message``) for a problem at ``loc``."""
        line, where = self.where(loc)
        return line, f"{where}: '{key_text(loc)}': {message}"


def key_text(loc: KeyPath) -> str:
    return ".".join(str(part) for part in loc)


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """``unknown parser 'nginxx'; known: ... (did you mean 'nginx'?)``."""
    names = sorted(known)
    text = f"unknown {kind} {name!r}; known: {', '.join(names)}"
    close = difflib.get_close_matches(name, names, n=1)
    return f"{text} (did you mean {close[0]!r}?)" if close else text


def refuse(problems: Sequence[tuple[int, str]]) -> None:
    """Raise one ConfigError listing ``problems`` (from :meth:`ConfigFile.problem`) in file
    order; do nothing when there are none."""
    if problems:
        raise ConfigError("\n".join(text for _, text in sorted(problems)))


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the YAML file (if any), apply the environment, validate everything."""
    return read_config(path, **overrides).settings


def read_config(path: str | Path | None = None, **overrides: Any) -> ConfigFile:
    """:func:`load_settings`, keeping the file's line index for later checks."""
    data: dict[str, Any] = {}
    lines = YamlLines("")
    label = DEFAULTS_LABEL
    if path is not None:
        label = str(path)
        data, lines = _read_yaml(Path(path))
    try:
        sources = (_sources(data, overrides), overrides)
        settings = Settings(_build_sources=sources)  # type: ignore[call-arg]  # a documented init option
    except ValidationError as exc:
        reported = ConfigFile(Settings.model_construct(), label, lines)
        refuse([_problem(reported, error) for error in exc.errors()])
        raise  # unreachable: every validation error has at least one problem
    return ConfigFile(settings, label, lines)


def _sources(
    data: dict[str, Any], overrides: dict[str, Any]
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The declared precedence (code, environment, secret files), then the YAML, then the
    defaults."""
    secrets_dir = os.environ.get("CANHGAC_SECRETS_DIR")
    declared = Settings.settings_customise_sources(
        Settings,
        init_settings=InitSettingsSource(Settings, init_kwargs=overrides),
        env_settings=EnvSettingsSource(Settings),
        dotenv_settings=DotEnvSettingsSource(Settings),
        file_secret_settings=SecretsSettingsSource(Settings, secrets_dir=secrets_dir),
    )
    yaml_file = InitSettingsSource(Settings, init_kwargs=data)
    return (*declared, yaml_file, DefaultSettingsSource(Settings))


def _read_yaml(path: Path) -> tuple[dict[str, Any], YamlLines]:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=FAST_SAFE_LOADER)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config: not UTF-8 ({exc.reason})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc}") from None
    if data is None:
        return {}, YamlLines(text)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of sections")
    return data, YamlLines.of(text)


def _problem(config: ConfigFile, error: Any) -> tuple[int, str]:
    # Discriminated unions add the tag ("file", "http") to the location; drop it.
    loc = tuple(part for part in error["loc"] if part not in _union_tags())
    if error["type"] == "extra_forbidden":
        line, where = config.where(loc)
        return line, f"{where}: unknown key '{key_text(loc)}'"
    if error["type"] == "union_tag_invalid":
        known = [tag.strip(" '") for tag in error["ctx"]["expected_tags"].split(",")]
        return config.problem((*loc, "type"), unknown_name("type", error["ctx"]["tag"], known))
    return config.problem(loc, error["msg"])


@lru_cache(maxsize=1)
def _union_tags() -> frozenset[str]:
    """Every tag of a discriminated union in the Settings models (the section ``type``s)."""
    return frozenset(_tags_in(field.annotation for field in Settings.model_fields.values()))


def _tags_in(annotations: Iterable[Any], seen: set[type] | None = None) -> Iterator[str]:
    seen = set() if seen is None else seen
    for annotation in annotations:
        if isinstance(annotation, Tag):
            yield annotation.tag
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.add(annotation)
                fields = annotation.model_fields.values()
                yield from _tags_in((f.annotation for f in fields), seen)
        else:
            metadata = getattr(annotation, "__metadata__", ())
            yield from _tags_in([*get_args(annotation), *metadata], seen)
