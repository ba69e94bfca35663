"""Incident settings (``incidents:``): automatic grouping of alerts into incidents."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from canhgac.config_base import Duration, Section
from canhgac.config_channels import SeverityName

EntityField = Literal["source.ip", "host.name", "user.name", "destination.ip"]


def _default_entity_fields() -> list[EntityField]:
    return ["source.ip", "host.name", "user.name"]


class IncidentsConfig(Section):
    """Analysts work incidents; these settings decide which alerts join one by themselves."""

    auto_group: bool = Field(
        default=False,
        description="Group alerts sharing an entity into the same open incident (the detect "
        "role does it every `interval`). Off by default: grouping changes how a team works, "
        "so it is switched on deliberately; manual grouping is always available.",
    )
    window: Duration = Field(
        default=timedelta(hours=1),
        gt=timedelta(0),
        description="An alert joins an open incident whose latest alert is at most this much "
        "older than it.",
    )
    entity_fields: list[EntityField] = Field(
        default_factory=_default_entity_fields,
        min_length=1,
        description="Alert fields (group key, else the matched event's) that make alerts "
        "belong together.",
    )
    min_severity: SeverityName = Field(
        default="medium", description="Alerts below this severity are never grouped by themselves."
    )
    interval: Duration = Field(
        default=timedelta(minutes=1), gt=timedelta(0), description="How often grouping runs."
    )
    lookback: Duration = Field(
        default=timedelta(hours=6),
        gt=timedelta(0),
        description="At start, alerts seen this far back are grouped (a restart repeats none).",
    )
