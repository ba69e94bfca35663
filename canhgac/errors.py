"""The project's error hierarchy.

Every error the project raises derives from :class:`CanhGacError`, so callers can catch one
type. Third-party exceptions (sqlite3, kafka, elasticsearch) are translated into these at the
boundary module of each dependency and never leak upward.
"""

from __future__ import annotations


class CanhGacError(Exception):
    """Root of every error raised by Canh Gác."""


class ConfigError(CanhGacError):
    """The configuration is invalid. The message is one line per problem."""


class ParseError(CanhGacError):
    """A log record could not be parsed. The message is the dead-letter reason."""


class StoreError(CanhGacError):
    """The store failed to read or write."""


class StoreUnavailableError(StoreError):
    """The store cannot be reached right now; the caller should back off and retry."""


class TransportError(CanhGacError):
    """The transport failed to accept or deliver a batch."""


class RuleError(CanhGacError):
    """A detection rule is invalid or cannot run; the message starts with ``path:line:``."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        location = f"{path}:{line or 1}: " if path else ""
        super().__init__(f"{location}{message}")


class NotificationError(CanhGacError):
    """A notification channel failed to deliver."""
