"""Options every command shares, and the settings they lead to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canhgac.config import Settings, load_settings

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: ./canhgac.yaml if present)."),
]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]


def settings_from(config: Path | None) -> Settings:
    if config is None and Path("canhgac.yaml").exists():
        config = Path("canhgac.yaml")
    return load_settings(config)
