"""The records that cross module boundaries: events, dead letters, alerts, rule run-state.

Events and dead letters are plain dataclasses because they are made once per log line on the
hot path; pydantic validation stays at the boundaries (config, API, alerts), where it is cheap
relative to the work around it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The ECS field names the kernel itself relies on.
TIMESTAMP = "@timestamp"
INGESTED = "event.ingested"
ORIGINAL = "event.original"
DATASET = "event.dataset"


# Ids of one stream in position order are neighbours in the store's unique index: each write
# then touches a few index pages at the stream's end instead of one page per event all over the
# index (bench/bench_sqlite_ingest.py). 2**64 positions cover every byte offset and sequence
# number a source produces.
_POSITIONS = 1 << 64


@lru_cache(maxsize=4096)
def _stream_key(source_identity: str) -> str:
    return hashlib.blake2b(source_identity.encode(), digest_size=8).hexdigest()


def event_id(source_identity: str, position: str | int) -> str:
    """Deterministic id from where an event came from, so a re-delivery overwrites nothing.

    ``source_identity`` names the stream (e.g. a file's inode and fingerprint, a TCP
    connection); ``position`` is the offset or sequence number within it. The id is 32 hex
    digits: a hash of the stream, then the position itself (or a hash of a position that is
    not a non-negative integer under 2**64), so the ids of a stream's integer positions sort
    in stream order and never collide with each other.
    """
    if type(position) is int and 0 <= position < _POSITIONS:
        # %-formatting: half the cost of format() or an f-string, once per event.
        return _stream_key(source_identity) + "%016x" % position  # noqa: UP031 - speed
    digest = hashlib.blake2b(str(position).encode(), digest_size=8)
    return _stream_key(source_identity) + digest.hexdigest()


@dataclass(slots=True)
class Event:
    """One normalized log event: flat ECS fields with dotted keys.

    ``fields`` always holds ``@timestamp`` (canonical UTC string, see
    :mod:`canhgac.timeutil`) and ``event.original`` (the raw line, NFC). The store sets
    ``event.ingested`` when it writes the event.
    """

    id: str
    fields: dict[str, Any]

    @property
    def timestamp(self) -> str:
        return str(self.fields[TIMESTAMP])


@dataclass(slots=True)
class DeadLetter:
    """Input that could not become an event, kept byte for byte with the reason."""

    id: str
    source: str
    reason: str
    raw: bytes
    received_at: str
    context: dict[str, Any] = field(default_factory=dict)


class Severity(StrEnum):
    informational = "informational"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class AlertStatus(StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    closed = "closed"


class Alert(BaseModel):
    """An alert raised by a rule; its id is deterministic so a re-run never duplicates it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    rule_id: str
    rule_title: str
    rule_description: str = ""
    rule_path: str = ""
    severity: Severity
    tags: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    author: str = ""
    group_key: dict[str, Any] = Field(default_factory=dict)
    first_seen: str
    last_seen: str
    count: int = 1
    event_ids: list[str] = Field(default_factory=list)
    snapshot: dict[str, Any] = Field(default_factory=dict)
    status: AlertStatus = AlertStatus.new
    assignee: str | None = None
    close_reason: str | None = None
    created_at: str
    updated_at: str
    #: Rule severity x asset criticality, 0-16 (canhgac.assets.priority), set when the alert
    #: is created; None for alerts recorded before priorities existed.
    priority: int | None = None
    #: The name of the inventory asset the priority was taken from, if any.
    asset: str | None = None


class AlertSort(StrEnum):
    """Orders of the alert queue; every one breaks ties by ``id`` so paging is stable."""

    newest = "newest"  # last_seen, newest first (the default)
    oldest = "oldest"  # last_seen, oldest first
    severity = "severity"  # most severe first, then newest
    matches = "matches"  # most matched events first, then newest
    priority = "priority"  # highest priority first (none last), then newest


#: The snapshot fields the queue filters on exactly: filter attribute -> ECS field.
ALERT_SNAPSHOT_FILTERS: dict[str, str] = {
    "host": "host.name",
    "user": "user.name",
    "source_ip": "source.ip",
}


class AlertFilter(BaseModel):
    """What an analyst (or the CLI) asks the alert queue for."""

    model_config = ConfigDict(extra="forbid")

    status: AlertStatus | None = None
    severity: Severity | None = None
    rule_id: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = Field(default=100, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)
    # Exact matches on the alert's snapshot (see ALERT_SNAPSHOT_FILTERS).
    host: str | None = None
    user: str | None = None
    source_ip: str | None = None
    assignee: str | None = None
    #: One of the rule's tags, exactly (``attack.credential_access``).
    tag: str | None = None
    #: Case-insensitive (Unicode casefold) substring of the rule title, rule id or any
    #: snapshot value.
    text: str | None = None
    sort: AlertSort = AlertSort.newest


class RuleState(BaseModel):
    """A rule's persisted run-state: the end of the last window whose alerts are stored."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    watermark: str
    last_run_at: str | None = None
    last_duration_s: float | None = None
    last_matches: int = 0
    last_error: str | None = None


class RuleSwitch(BaseModel):
    """A person's decision to stop running a loaded rule, or to run it again, and why.

    Detection reads it at every tick (:meth:`canhgac.store.base.RuleSwitchStore`): a rule
    switched off searches no event ingested after ``changed_at``; switched back on, it resumes
    at ``changed_at``, so what was ingested while it was off is never searched (the audit log
    has both moments)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    enabled: bool
    reason: str
    actor: str
    changed_at: str


class RuleRun(BaseModel):
    """One completed detection window, kept as history to prove coverage has no gaps."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    window_start: str
    window_end: str
    matches: int
    finished_at: str


class Notification(BaseModel):
    """A pending or finished delivery of one alert to one channel (the outbox)."""

    model_config = ConfigDict(extra="forbid")

    alert_id: str
    channel: str
    status: str = "pending"  # pending | sent | failed
    attempts: int = 0
    last_error: str | None = None
    updated_at: str
