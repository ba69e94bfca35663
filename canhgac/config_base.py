"""The building blocks of every config model: the strict base section, durations, tags.

Apart from :mod:`canhgac.config` so that the section modules (:mod:`canhgac.config_channels`)
share them without importing the whole file's models.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: Any) -> Any:
    """Accept "500ms", "30s", "5m", "1h", "2d" besides pydantic's own forms."""
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _tag_or(default: str) -> Any:
    """A discriminator that falls back to ``default`` when ``type`` is left out, so
    ``CANHGAC_STORE__PATH=...`` alone still means the default store kind."""

    def tag(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("type", default))
        return str(getattr(value, "type", default))

    return Discriminator(tag)


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
