"""The API's request and response bodies (requests reject unknown keys)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alerting.triage.actions import MAX_BULK, MAX_COMMENT_CHARS, BulkAction
from alerting.triage.asset_view import AssetRow
from canhgac.assets.model import Criticality
from canhgac.health.model import DeadLetterSample, EventSample, Quality, Status, Verdict
from canhgac.models import Alert, AlertStatus, Notification, Severity
from canhgac.store.triage import ApiToken, CloseReason, Comment, Role, StatusChange, User


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignBody(Body):
    assignee: str = Field(min_length=1, max_length=200)


class CommentBody(Body):
    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


class CloseBody(Body):
    reason: CloseReason
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class ReopenBody(Body):
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class BulkBody(Body):
    ids: list[str] = Field(min_length=1, max_length=MAX_BULK)
    action: BulkAction
    assignee: str | None = Field(default=None, max_length=200)
    reason: CloseReason | None = None
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


class BulkResult(BaseModel):
    done: list[str]
    skipped: dict[str, str] = Field(description="alert id -> why the action did not apply")


class AssetOut(BaseModel):
    """An inventory asset (a city system)."""

    name: str
    department: str
    criticality: Criticality
    description: str


class ContextOut(BaseModel):
    """What the current asset inventory says about one host or address of an alert."""

    field: str = Field(description="The alert field (grouping key or snapshot)")
    role: str = Field(description="host, source or destination")
    value: str
    internal: bool | None = Field(description="In the city's ranges; null for a host name")
    network: str | None = Field(description="The inventory network that matched (longest)")
    asset: AssetOut | None

    @classmethod
    def of(cls, row: AssetRow) -> ContextOut:
        asset = row.asset
        return cls(
            field=row.field,
            role=row.role,
            value=row.value,
            internal=row.internal,
            network=row.network,
            asset=None if asset is None else AssetOut.model_validate(asset, from_attributes=True),
        )


class AlertOut(Alert):
    """An alert with its city context, looked up in the current inventory (its ``priority``
    and ``asset`` were set when it was created)."""

    context: list[ContextOut] = Field(default_factory=list)

    @classmethod
    def of(cls, alert: Alert, rows: list[AssetRow]) -> AlertOut:
        return cls(**dict(alert), context=[ContextOut.of(row) for row in rows])


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int = Field(description="Alerts matching the filters (all pages)")
    counts: dict[AlertStatus, int] = Field(description="Matches per status, status filter aside")
    page: int
    size: int


class EventOut(BaseModel):
    id: str
    fields: dict[str, Any]
    highlighted: list[str] = Field(description="Fields the alert is about (snapshot, group key)")
    context: list[ContextOut] = Field(
        default_factory=list, description="The event's hosts and addresses in the inventory"
    )


class TimelineEntry(BaseModel):
    id: str
    timestamp: str
    dataset: str
    host: str
    user: str
    summary: str
    matched: bool


class AlertDetailOut(BaseModel):
    alert: AlertOut
    events: list[EventOut]
    missing_events: int
    timeline: list[TimelineEntry]
    timeline_truncated: bool
    history: list[StatusChange]
    comments: list[Comment]
    notifications: list[Notification]


class Me(BaseModel):
    username: str
    role: Role
    display_name: str


class UserIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    display_name: str = Field(default="", max_length=200)


class UserPatch(Body):
    """Only the fields given change."""

    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=200)
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    unlock: bool = Field(default=False, description="Clear a lock-out after failed logins")


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    disabled: bool
    locked_until: str | None
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls.model_validate(user.model_dump(include=set(cls.model_fields)))


class TokenIn(Body):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    expires_at: str | None = Field(default=None, description="ISO 8601; no offset = Hanoi time")


class TokenOut(BaseModel):
    id: str
    name: str
    role: Role
    created_by: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls.model_validate(token.model_dump(include=set(cls.model_fields)))


class TokenCreated(TokenOut):
    token: str = Field(description="The secret: shown this once, stored only as a hash")


# --- data sources (alerting.triage.sources) ---------------------------------------------------
class SourceHour(BaseModel):
    """One hour of arrival of a source key (empty hours are zero)."""

    hour: str = Field(description="Start of the hour, UTC")
    events: int
    understood: int = Field(description="Events whose dataset's key fields were extracted")
    raw: int = Field(description="Events no parser recognised")
    future: int = Field(description="Events stamped in the future")
    dead_letters: int
    sequenced: int = Field(description="Events carrying a sequence number")
    sequence_gaps: int = Field(description="Sequence numbers missing within the hour")
    skew_median_s: float | None = Field(description="Median event.ingested - @timestamp")
    skew_worst_s: float | None
    understood_ratio: float | None
    raw_ratio: float | None
    dead_letter_ratio: float | None = Field(description="Dead letters / (events + dead letters)")


class SourceOut(BaseModel):
    """A source key's data health: four verdicts and its last 24 complete hours."""

    id: str = Field(description="URL-safe id of the key, for /api/v1/sources/{source_id}")
    source: str
    host: str
    dataset: str
    label: str
    status: Status = Field(description="The worst verdict")
    last_seen: str | None
    silence_s: float | None
    silent_after_s: float | None = Field(description="How long a silence is normal for it")
    events_per_minute: float = Field(description="Over the last complete hour")
    judged_hour: str | None = Field(
        description="The hour the complete/correct/clean verdicts judge"
    )
    verdicts: dict[Quality, Verdict]
    hourly: list[SourceHour] = Field(description="The last 24 complete hours, oldest first")


class SourceList(BaseModel):
    generated_at: str
    counts: dict[Status, int] = Field(description="Sources per overall status")
    items: list[SourceOut] = Field(description="Worst first")


class HealthAlertRef(BaseModel):
    id: str
    rule_id: str
    rule_title: str
    severity: Severity
    status: AlertStatus
    first_seen: str
    last_seen: str
    scope: dict[str, str] = Field(description="The key the alert is about (empty: any)")


class SourceDetailOut(BaseModel):
    generated_at: str
    source: SourceOut
    dead_letters: list[DeadLetterSample] = Field(
        description="The source's commonest dead-letter reasons (24 h), with raw lines"
    )
    not_understood: list[EventSample] = Field(description="Latest events not understood (24 h)")
    alerts: list[HealthAlertRef] = Field(description="Health alerts about the key or its source")
