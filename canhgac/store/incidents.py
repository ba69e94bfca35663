"""Incidents: alerts grouped into one piece of work, and the store role that keeps them.

An incident is one document: its header (status, owner, severity), the alerts it holds, the
entities those alerts share (``source.ip=203.0.113.9``; what automatic grouping matches on),
its comments, its task checklist and the history of every action taken on it (the timeline,
with the alerts' own times). Keeping it whole makes every change one conditional write: the
store replaces an incident only if nobody changed it since it was read (``revision``), so two
analysts never silently overwrite each other, and a retried write changes nothing twice.

Both stores implement :class:`IncidentStore` and hand it out through
:meth:`canhgac.store.base.Store.incidents`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from canhgac.models import Severity
from canhgac.store.triage import CloseReason

#: Bounds of one incident document (it is read and written whole).
MAX_INCIDENT_ALERTS = 1000
MAX_INCIDENT_COMMENTS = 500
MAX_INCIDENT_TASKS = 200
MAX_INCIDENT_ACTIONS = 5000


class IncidentStatus(StrEnum):
    """Mở → Đang điều tra → Đã khoanh vùng → Đã đóng (NIST 800-61's phases, shortened)."""

    open = "open"  # nobody has taken it on yet
    investigating = "investigating"  # someone works it
    contained = "contained"  # the threat is stopped; clean-up and lessons remain
    closed = "closed"  # done, with a close reason


class IncidentSort(StrEnum):
    updated = "updated"  # most recently changed first (the default)
    created = "created"  # newest first
    severity = "severity"  # most severe first, then most recently changed
    oldest = "oldest"  # oldest first


class IncidentComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    author: str
    text: str
    created_at: str


class IncidentTask(BaseModel):
    """One line of the checklist; ``done_by``/``done_at`` say who ticked it and when."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    done: bool = False
    created_by: str
    created_at: str
    done_by: str | None = None
    done_at: str | None = None


class IncidentAction(BaseModel):
    """One entry of the incident's history: who did what, when (``incident.assign``, ...)."""

    model_config = ConfigDict(extra="forbid")

    at: str
    actor: str
    action: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Incident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    status: IncidentStatus = IncidentStatus.open
    owner: str | None = None
    severity: Severity
    created_by: str
    created_at: str
    updated_at: str
    alert_ids: list[str] = Field(default_factory=list)
    #: ``field=value`` of the alerts' shared entities (source.ip, host.name, user.name).
    entities: list[str] = Field(default_factory=list)
    #: The latest ``last_seen`` of its alerts: automatic grouping's time window ends here.
    last_alert_at: str | None = None
    comments: list[IncidentComment] = Field(default_factory=list)
    tasks: list[IncidentTask] = Field(default_factory=list)
    actions: list[IncidentAction] = Field(default_factory=list)
    close_reason: CloseReason | None = None
    #: First acknowledgement (taken on, assigned or moved on from open): MTTA ends here.
    acknowledged_at: str | None = None
    #: When it was (last) closed: MTTR ends here.
    closed_at: str | None = None
    #: The grouping key an automatic incident was opened for (None: made by a person).
    auto_key: str | None = None
    #: Bumped by every write; a write based on an older revision is refused.
    revision: int = 0


class IncidentFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: IncidentStatus | None = None
    #: Every incident not closed (ignored when ``status`` is set).
    active: bool = False
    owner: str | None = None
    severity: Severity | None = None
    sort: IncidentSort = IncidentSort.updated
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=9000)


class IncidentStore(ABC):
    """Where incidents live (the same store as the alerts they group)."""

    @abstractmethod
    def create_incident(self, incident: Incident) -> bool:
        """Store a new incident; False (and nothing changed) if its id exists already, so
        creating an incident under a deterministic id twice creates it once."""

    @abstractmethod
    def replace_incident(self, incident: Incident, expected_revision: int) -> bool:
        """Replace the stored incident if its revision is still ``expected_revision``; False
        (nothing written) if it changed meanwhile or does not exist."""

    @abstractmethod
    def get_incident(self, incident_id: str) -> Incident | None: ...

    @abstractmethod
    def list_incidents(self, query: IncidentFilter) -> list[Incident]:
        """One page of incidents matching ``query``, in its order (ties by id)."""

    @abstractmethod
    def incidents_with_alerts(self, alert_ids: Sequence[str]) -> list[Incident]:
        """Every incident holding any of ``alert_ids``, by id."""

    @abstractmethod
    def active_incidents_with_entities(self, entities: Sequence[str], since: str) -> list[Incident]:
        """Incidents not closed that share one of ``entities`` and whose ``last_alert_at``
        is at or after ``since``, by id (automatic grouping's candidates)."""
