"""The one place where Elasticsearch client exceptions become Canh Gác store errors.

Unavailability (no connection, timeouts, 429 and 5xx after the client's own retries) becomes
:class:`StoreUnavailableError`, which tells the indexer to back off and retry the same batch;
anything else (bad request, authentication, a missing index) is a :class:`StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, TransportError

from canhgac.errors import StoreError, StoreUnavailableError

# Statuses that mean "not now" rather than "never".
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_retryable(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def translate(action: str, exc: BaseException) -> StoreError:
    """A store error for a client exception raised while doing ``action``."""
    if isinstance(exc, ConnectionTimeout):
        return StoreUnavailableError(f"Elasticsearch {action}: timed out: {exc}")
    if isinstance(exc, ConnectionError):
        return StoreUnavailableError(f"Elasticsearch {action}: cannot connect: {exc}")
    if isinstance(exc, ApiError):
        status = exc.meta.status
        message = f"Elasticsearch {action}: {exc}"
        return StoreUnavailableError(message) if is_retryable(status) else StoreError(message)
    if isinstance(exc, TransportError):
        return StoreError(f"Elasticsearch {action}: {exc}")
    return StoreError(f"Elasticsearch {action}: {type(exc).__name__}: {exc}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a block of client calls; their exceptions leave as store errors."""
    try:
        yield
    except (ApiError, TransportError) as exc:
        raise translate(action, exc) from exc


def error_status(exc: BaseException) -> int | None:
    """The HTTP status of a client exception, if it carries one."""
    return exc.meta.status if isinstance(exc, ApiError) else None
