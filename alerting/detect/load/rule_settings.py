"""A rule's own scheduling and grouping settings: the ``canhgac:`` block of a Sigma rule.

pySigma keeps unknown top-level keys in ``rule.custom_attributes``, so the block travels with
the rule without any change to the Sigma format::

    canhgac:
      interval: 5m          # how often the rule runs (default: detection.default_interval)
      group_by: [source.ip] # one alert per distinct value within `suppress`
      suppress: 30m         # repeats within this bucket raise the open alert's count
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from canhgac.config import Duration

SETTINGS_KEY = "canhgac"
# When a rule groups but names no suppression window, repeats fold into one alert per hour.
DEFAULT_SUPPRESS = timedelta(hours=1)


class RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: Duration | None = Field(
        default=None, description="Schedule interval; detection.default_interval if unset."
    )
    group_by: tuple[str, ...] = Field(
        default=(), description="ECS fields whose values identify one alert."
    )
    suppress: Duration | None = Field(
        default=None,
        description="Suppression bucket: matches of one group within it share an alert. "
        f"Defaults to {DEFAULT_SUPPRESS} when group_by is set.",
    )

    @field_validator("interval", "suppress")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("group_by")
    @classmethod
    def _field_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name.strip() for name in value):
            raise ValueError("field names must not be empty")
        return value

    @property
    def groups(self) -> bool:
        return bool(self.group_by) or self.suppress is not None

    @property
    def suppress_window(self) -> timedelta:
        return self.suppress or DEFAULT_SUPPRESS


class RuleSettingsError(ValueError):
    """The problems of a ``canhgac:`` block, each with its key path (for the line)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def parse_settings(custom_attributes: dict[str, Any]) -> RuleSettings:
    """The rule's settings; raises :class:`RuleSettingsError` naming every offending key."""
    raw = custom_attributes.get(SETTINGS_KEY)
    if raw is None:
        return RuleSettings()
    if not isinstance(raw, dict):
        raise RuleSettingsError([((SETTINGS_KEY,), f"'{SETTINGS_KEY}' must be a mapping")])
    try:
        return RuleSettings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = (SETTINGS_KEY, *error["loc"])
            dotted = ".".join(str(part) for part in loc)
            if error["type"] == "extra_forbidden":
                problems.append((loc, f"unknown key '{dotted}'"))
            elif error["type"].startswith("time_delta"):
                problems.append(
                    (
                        loc,
                        f"'{dotted}': expected a duration such as 30s, 5m or 1h, "
                        f"got {error['input']!r}",
                    )
                )
            else:
                problems.append((loc, f"'{dotted}': {error['msg']}"))
        raise RuleSettingsError(problems) from None
