"""Options every command shares, and the settings they lead to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canhgac.config import Settings
from canhgac.config_loader import ConfigFile, read_config

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: ./canhgac.yaml if present)."),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]


def config_from(config: Path | None) -> ConfigFile:
    """The configuration file (``./canhgac.yaml`` when none is named and it exists), loaded
    with its YAML line index for the start checks' ``file:line`` messages."""
    if config is None and Path("canhgac.yaml").exists():
        config = Path("canhgac.yaml")
    return read_config(config)


def settings_from(config: Path | None) -> Settings:
    return config_from(config).settings
