"""Bulk ``create`` with per-item outcomes: the retry and dead-letter policy, without a client.

Each document is written with ``op_type=create`` and its deterministic id, so:

- ``201`` created: new;
- ``409`` version conflict: already stored by an earlier delivery, which counts as success;
- ``429`` and ``5xx``: the node is busy or a shard is unavailable, so only *those* items are
  sent again, with exponential backoff;
- ``400``: the document itself is bad (a value that does not fit the mapping, an unusable
  field name): it is rejected and the caller turns it into a dead letter with the reason;
- anything else (403 read-only index, 404 with auto-creation disabled) is a cluster problem:
  the whole write fails with a :class:`StoreError` and the caller retries the batch later.

The caller renders the request lines per attempt (so ``event.ingested`` can be the time of the
attempt that actually stored the event) and sends them; this module only decides.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from canhgac.errors import StoreError, StoreUnavailableError
from canhgac.retry import RetryPolicy

# Keep single requests well under http.max_content_length (100mb) and the node's memory.
# Measured in characters (at most 4 bytes each), which is close enough for that purpose.
MAX_REQUEST_CHARS = 8 * 1024 * 1024


class Outcome(Enum):
    CREATED = "created"
    EXISTS = "exists"
    RETRY = "retry"
    REJECTED = "rejected"
    FAILED = "failed"


def classify(item: Mapping[str, Any]) -> tuple[Outcome, str]:
    """The outcome of one item of a bulk response, and the reason when it did not succeed."""
    result: Mapping[str, Any] = next(iter(item.values()), {})
    status = int(result.get("status", 0))
    if 200 <= status < 300:
        return Outcome.CREATED, ""
    reason = describe(result.get("error"))
    if status == 409:
        return Outcome.EXISTS, reason
    if status == 429 or status >= 500:
        return Outcome.RETRY, reason
    if status == 400:
        return Outcome.REJECTED, reason
    return Outcome.FAILED, f"status {status}: {reason}"


def describe(error: Any) -> str:
    """``type: reason (caused by: ...)`` from an item's error object."""
    if not isinstance(error, Mapping):
        return str(error)
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    cause = error.get("caused_by")
    roots = error.get("root_cause")
    if not isinstance(cause, Mapping) and isinstance(roots, list) and roots:
        # "all shards failed" says nothing; the root cause says which query part and why.
        cause = roots[0]
    if isinstance(cause, Mapping) and cause.get("reason"):
        text += f" (caused by {cause.get('type', 'error')}: {cause.get('reason')})"
    return text


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 6
    initial: float = 0.2
    maximum: float = 5.0

    def delays(self) -> Iterator[float]:
        return RetryPolicy(self.initial, self.maximum, attempts=self.attempts).delays()


@dataclass(slots=True)
class BulkResult:
    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)
    rejected: dict[int, str] = field(default_factory=dict)


DEFAULT_BACKOFF = Backoff()

Render = Callable[[int], tuple[str, str]]
Send = Callable[[list[str]], Mapping[str, Any]]


def bulk_create(
    keys: Sequence[int],
    render: Render,
    send: Send,
    *,
    backoff: Backoff = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    max_request_chars: int = MAX_REQUEST_CHARS,
) -> BulkResult:
    """Create the documents ``keys`` (the caller's positions); ``render(key)`` gives the
    action and source lines, ``send(lines)`` performs one bulk request."""
    result = BulkResult()
    pending = list(keys)
    delays = backoff.delays()
    last_reason = ""
    while pending:
        retry: list[int] = []
        for chunk, lines in _requests(pending, render, max_request_chars):
            items = send(lines).get("items", [])
            if len(items) != len(chunk):
                raise StoreError(f"bulk response has {len(items)} items for {len(chunk)} sent")
            for key, item in zip(chunk, items, strict=True):
                outcome, reason = classify(item)
                if outcome is Outcome.CREATED:
                    result.created.append(key)
                elif outcome is Outcome.EXISTS:
                    result.existing.append(key)
                elif outcome is Outcome.REJECTED:
                    result.rejected[key] = reason
                elif outcome is Outcome.RETRY:
                    retry.append(key)
                    last_reason = reason
                else:
                    raise StoreError(f"Elasticsearch refused a bulk write: {reason}")
        pending = retry
        if pending:
            delay = next(delays, None)
            if delay is None:
                raise StoreUnavailableError(
                    f"{len(pending)} documents still not accepted after {backoff.attempts}"
                    f" attempts; last error: {last_reason}"
                )
            sleep(delay)
    return result


def _requests(
    keys: list[int], render: Render, max_chars: int
) -> Iterator[tuple[list[int], list[str]]]:
    """Group rendered items into requests of at most ``max_chars`` (one oversized item
    still goes alone: Elasticsearch, not this module, decides whether it is too big)."""
    chunk: list[int] = []
    lines: list[str] = []
    size = 0
    for key in keys:
        action, source = render(key)
        item_size = len(action) + len(source) + 2
        if chunk and size + item_size > max_chars:
            yield chunk, lines
            chunk, lines, size = [], [], 0
        chunk.append(key)
        lines.append(action)
        lines.append(source)
        size += item_size
    if chunk:
        yield chunk, lines
