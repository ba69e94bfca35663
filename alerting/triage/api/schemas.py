"""The API's request and response bodies (requests reject unknown keys)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alerting.triage.actions import MAX_BULK, MAX_COMMENT_CHARS, BulkAction
from canhgac.models import Alert, AlertStatus, Notification
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


class AlertPage(BaseModel):
    items: list[Alert]
    total: int = Field(description="Alerts matching the filters (all pages)")
    counts: dict[AlertStatus, int] = Field(description="Matches per status, status filter aside")
    page: int
    size: int


class EventOut(BaseModel):
    id: str
    fields: dict[str, Any]
    highlighted: list[str] = Field(description="Fields the alert is about (snapshot, group key)")


class TimelineEntry(BaseModel):
    id: str
    timestamp: str
    dataset: str
    host: str
    user: str
    summary: str
    matched: bool


class AlertDetailOut(BaseModel):
    alert: Alert
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
