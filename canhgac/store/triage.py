"""The triage store interface: who may triage, and what they did.

Alerts themselves live in the :class:`~canhgac.store.base.Store`; this store keeps what the
web UI and the API add around them: local accounts, browser sessions, API tokens, comments,
the history of every status change (MTTA and MTTR are computed from it) and the audit log.
Secrets are never stored: passwords as argon2 hashes, session ids and API tokens as SHA-256
digests of high-entropy random values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from canhgac.models import AlertStatus, Severity


class Role(StrEnum):
    """What a person or an integration may do; each route names the roles it admits."""

    analyst = "analyst"  # triages alerts
    rule_author = "rule_author"  # writes rules and exceptions, reads alerts
    ops = "ops"  # runs the pipeline: overview and ingest health
    admin = "admin"  # everything, plus users, tokens and the audit log


class CloseReason(StrEnum):
    true_positive = "true_positive"
    false_positive = "false_positive"
    benign = "benign"


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    display_name: str = ""
    role: Role
    password_hash: str
    disabled: bool = False
    #: Consecutive failed logins since the last success or unlock.
    failed_logins: int = 0
    #: The next login is not checked before this time (a short backoff, never a hard lock).
    locked_until: str | None = None
    #: The password was generated or reset by someone else: the next login must change it.
    must_change_password: bool = False
    created_at: str
    updated_at: str


class Session(BaseModel):
    """A logged-in browser. ``id_hash`` is the SHA-256 of the cookie's value."""

    model_config = ConfigDict(extra="forbid")

    id_hash: str
    username: str
    csrf_token: str
    created_at: str
    expires_at: str


class ApiToken(BaseModel):
    """An integration's credential, scoped to one role. ``token_hash`` is SHA-256 of it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    role: Role
    token_hash: str
    created_by: str
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None


class Comment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    alert_id: str
    author: str
    text: str
    created_at: str


class StatusChange(BaseModel):
    """One transition of an alert. It carries the alert's severity and creation time so
    response times can be computed here without reading every alert back."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str
    at: str
    actor: str
    from_status: AlertStatus
    to_status: AlertStatus
    severity: Severity
    alert_created_at: str
    reason: CloseReason | None = None


class AuditEntry(BaseModel):
    """Who did what to which thing, when, with the thing before and after."""

    model_config = ConfigDict(extra="forbid")

    at: str
    actor: str
    action: str
    target: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    source_ip: str | None = None
    seq: int | None = Field(default=None, description="Assigned by the store; orders entries.")


@dataclass(frozen=True, slots=True)
class TriageRecord:
    """What one action leaves behind, written in one transaction."""

    status_changes: Sequence[StatusChange] = field(default_factory=list)
    comments: Sequence[Comment] = field(default_factory=list)
    audit: Sequence[AuditEntry] = field(default_factory=list)


class TriageStore(ABC):
    """Where accounts, sessions, tokens, comments, status history and the audit log live."""

    # --- users ---------------------------------------------------------------------------------
    @abstractmethod
    def add_user(self, user: User) -> bool:
        """Store a new user; False (and nothing changed) if the username is taken."""

    @abstractmethod
    def get_user(self, username: str) -> User | None: ...

    @abstractmethod
    def list_users(self) -> list[User]:
        """Every user, by username."""

    @abstractmethod
    def save_user(self, user: User) -> None:
        """Replace a stored user (password, role, lock-out counters)."""

    # --- sessions ------------------------------------------------------------------------------
    @abstractmethod
    def add_session(self, session: Session) -> None: ...

    @abstractmethod
    def get_session(self, id_hash: str) -> Session | None: ...

    @abstractmethod
    def delete_session(self, id_hash: str) -> None: ...

    @abstractmethod
    def delete_sessions(self, *, username: str | None = None, expired_at: str | None = None) -> int:
        """Delete a user's sessions and/or those expired at ``expired_at``; returns how many."""

    # --- API tokens ----------------------------------------------------------------------------
    @abstractmethod
    def add_token(self, token: ApiToken) -> None: ...

    @abstractmethod
    def get_token(self, token_hash: str) -> ApiToken | None: ...

    @abstractmethod
    def list_tokens(self) -> list[ApiToken]:
        """Every token, newest first."""

    @abstractmethod
    def save_token(self, token: ApiToken) -> None: ...

    # --- what was done to alerts ----------------------------------------------------------------
    @abstractmethod
    def record(self, record: TriageRecord) -> None:
        """Append status changes, comments and audit entries atomically."""

    @abstractmethod
    def list_comments(self, alert_id: str) -> list[Comment]:
        """An alert's comments, oldest first."""

    @abstractmethod
    def list_status_changes(self, alert_id: str) -> list[StatusChange]:
        """An alert's status history, oldest first."""

    @abstractmethod
    def status_changes_since(self, since: str) -> list[StatusChange]:
        """Every status change of alerts created at or after ``since``, oldest first."""

    @abstractmethod
    def list_audit(
        self, *, limit: int = 100, offset: int = 0, actor: str | None = None
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""

    # --- lifecycle -----------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...
