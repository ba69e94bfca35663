"""The typed tree of a search query, and the error a bad query raises.

Leaves keep their position in the query text, so an error found while compiling (a field the
store cannot search) points at the place the analyst typed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from sigma.types import CompareOperators, SpecialChars

from alerting.detect.compile.patterns import StringPart


class QuerySyntaxError(ValueError):
    """A query that cannot be searched; ``position`` is the 0-based offset it went wrong at."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at position {position})")
        self.reason = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Match:
    """``field:value`` (a whole-value match, wildcards allowed) or, with ``field`` None, free
    text: the value anywhere in the raw line. ``numeric`` is an unquoted number, which also
    matches a field stored as a number."""

    field: str | None
    parts: tuple[StringPart, ...]
    numeric: bool
    position: int

    @property
    def text(self) -> str:
        """The value as typed, wildcards as ``*`` and ``?``."""
        return "".join(
            part if isinstance(part, str) else _WILDCARD_TEXT[part] for part in self.parts
        )


@dataclass(frozen=True, slots=True)
class Compare:
    """``field > number`` and the like; a range ``field:[a TO b]`` is two of them."""

    field: str
    op: CompareOperators
    number: int | float
    position: int


@dataclass(frozen=True, slots=True)
class InNetwork:
    """``field:10.0.0.0/24`` or ``field:10.0.*``: an address inside a network."""

    field: str
    network: IPv4Network | IPv6Network
    position: int


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Everything:
    """The empty query: every event in the time range."""


Node = Match | Compare | InNetwork | Not | AllOf | AnyOf | Everything

_WILDCARD_TEXT: dict[object, str] = {
    SpecialChars.WILDCARD_MULTI: "*",
    SpecialChars.WILDCARD_SINGLE: "?",
}
