"""Reading an inventory file: YAML -> :class:`Inventory`, every problem one ``file:line`` line.

Like the configuration (:mod:`canhgac.config_loader`): all problems are collected and raised
at once as one :class:`~canhgac.errors.ConfigError`, in file order, each naming its key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from canhgac.assets.model import Inventory, conflicts
from canhgac.errors import ConfigError
from canhgac.yaml_lines import FAST_SAFE_LOADER, KeyPath, YamlLines


def load_inventory(path: str | Path) -> Inventory:
    """The inventory in ``path``; raises :class:`ConfigError` naming every problem."""
    text = _read(Path(path))
    return parse_inventory(text, str(path))


def parse_inventory(text: str, label: str) -> Inventory:
    try:
        data = yaml.load(text, Loader=FAST_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{label}:{line}: invalid YAML: {problem}") from None
    if data is None:
        return Inventory()
    if not isinstance(data, dict):
        raise ConfigError(f"{label}:1: the inventory must be a mapping with an 'assets' list")
    lines = YamlLines.of(text)
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as exc:
        _refuse(label, lines, [(tuple(e["loc"]), _message(e)) for e in exc.errors()])
        raise  # unreachable: a validation error has at least one problem
    _refuse(label, lines, list(conflicts(inventory)))
    return inventory


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the asset inventory: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the asset inventory is not UTF-8 ({exc.reason})") from None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    # pydantic prefixes errors raised by validators with "Value error, ".
    return str(error["msg"]).removeprefix("Value error, ")


def _refuse(label: str, lines: YamlLines, problems: list[tuple[KeyPath, str]]) -> None:
    if not problems:
        return
    located = [(lines.key(*loc) or 0, loc, message) for loc, message in problems]
    raise ConfigError(
        "\n".join(
            f"{label}:{line or 1}: '{'.'.join(str(p) for p in loc)}': {message}"
            for line, loc, message in sorted(located, key=lambda item: item[0])
        )
    )
