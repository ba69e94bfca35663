"""The search language, parsed by recursive descent into :mod:`alerting.hunt.syntax`.

Grammar (keywords in any case; juxtaposed terms are joined by AND)::

    query      := [or] END
    or         := and (OR and)*
    and        := not ([AND] not)*
    not        := NOT not | primary
    primary    := "(" or ")" | FIELD ":" value | FIELD ":" "(" values ")" | FIELD ":" range
                | FIELD compare NUMBER | value
    range      := ("[" | "{") bound TO bound ("]" | "}")     bound: NUMBER or *
    value      := WORD (wildcards * ?) | PHRASE (quoted, literal)

A bare value searches the raw line (``event.original``) for the value anywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network, ip_network

from sigma.types import CompareOperators, SpecialChars

from alerting.hunt.lexer import Kind, Token, tokens
from alerting.hunt.syntax import (
    AllOf,
    AnyOf,
    Compare,
    Everything,
    InNetwork,
    Match,
    Node,
    Not,
    QuerySyntaxError,
)

#: Deeper nesting is refused before Python's recursion limit could be reached.
MAX_DEPTH = 40
#: More terms than this in one query are refused (each costs the store a condition).
MAX_TERMS = 200
_FIELD = re.compile(r"[A-Za-z_@][A-Za-z0-9_@.\-]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_OCTETS_WILDCARD = re.compile(r"((?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})\.){1,3})\*")
_COMPARE_OPS = {
    ">": CompareOperators.GT,
    ">=": CompareOperators.GTE,
    "<": CompareOperators.LT,
    "<=": CompareOperators.LTE,
}


def parse(text: str) -> Node:
    """The tree of ``text``; raises :class:`QuerySyntaxError` with the position."""
    return _Parser(text).query()


def _number(raw: str) -> int | float:
    return float(raw) if "." in raw else int(raw)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(tokens(text))
        self.index = 0
        self.depth = 0
        self.terms = 0

    # --- token access ------------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self, kind: Kind, expected: str) -> Token:
        token = self.current
        if token.kind is not kind:
            raise QuerySyntaxError(f"expected {expected}, found {_describe(token)}", token.position)
        self.index += 1
        return token

    # --- grammar -----------------------------------------------------------------------------
    def query(self) -> Node:
        if self.current.kind is Kind.END:
            return Everything()
        node = self.or_(None)
        token = self.tokens[self.index]
        if token.kind is not Kind.END:
            raise QuerySyntaxError(f"unexpected {_describe(token)}", token.position)
        return node

    def or_(self, field: Token | None) -> Node:
        children = [self.and_(field)]
        while self.current.kind is Kind.OR:
            self.index += 1
            children.append(self.and_(field))
        return children[0] if len(children) == 1 else AnyOf(tuple(children))

    def and_(self, field: Token | None) -> Node:
        children = [self.not_(field)]
        while self.current.kind not in (Kind.OR, Kind.RPAREN, Kind.END):
            if self.current.kind is Kind.AND:
                self.index += 1
            children.append(self.not_(field))
        return children[0] if len(children) == 1 else AllOf(tuple(children))

    def not_(self, field: Token | None) -> Node:
        if self.current.kind is Kind.NOT:
            self.index += 1
            return Not(self.nested(lambda: self.not_(field)))
        return self.primary(field)

    def nested(self, parse: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(f"nested deeper than {MAX_DEPTH} levels", self.current.position)
        try:
            return parse()
        finally:
            self.depth -= 1

    def primary(self, field: Token | None) -> Node:
        token = self.current
        if token.kind is Kind.LPAREN:
            self.index += 1
            node = self.nested(lambda: self.or_(field))
            self.take(Kind.RPAREN, "')' to close the '(' at position " + str(token.position))
            return node
        if field is None and token.kind is Kind.WORD and self.peek().kind is Kind.COLON:
            return self.field_expression()
        if field is None and token.kind is Kind.WORD and self.peek().kind is Kind.COMPARE:
            return self.comparison()
        if token.kind in (Kind.WORD, Kind.PHRASE):
            self.index += 1
            return self.match(field, token)
        raise QuerySyntaxError(
            f"expected a value, a field or '(', found {_describe(token)}", token.position
        )

    def field_expression(self) -> Node:
        field = self.field_name(self.current)
        self.index += 2  # the name and the colon
        token = self.current
        if token.kind is Kind.LPAREN:
            self.index += 1
            node = self.nested(lambda: self.or_(field))
            self.take(Kind.RPAREN, "')' to close the '(' at position " + str(token.position))
            return node
        if token.kind in (Kind.LBRACKET, Kind.LBRACE):
            return self.range_(field)
        if token.kind in (Kind.WORD, Kind.PHRASE):
            self.index += 1
            return self.match(field, token)
        raise QuerySyntaxError(
            f"expected a value after '{field.raw}:', found {_describe(token)}", token.position
        )

    def comparison(self) -> Node:
        field = self.field_name(self.current)
        op = _COMPARE_OPS[self.tokens[self.index + 1].raw]
        self.index += 2
        number = self.number(self.current, f"a number after '{field.raw}'")
        self.index += 1
        return self.count(Compare(field.raw, op, number, field.position))

    def range_(self, field: Token) -> Node:
        opening = self.current
        self.index += 1
        low = self.bound()
        self.take(Kind.TO, "TO between the bounds of the range")
        high = self.bound()
        closing = self.current
        if closing.kind not in (Kind.RBRACKET, Kind.RBRACE):
            raise QuerySyntaxError(
                f"expected ']' or '}}' to close the range, found {_describe(closing)}",
                closing.position,
            )
        self.index += 1
        low_op = CompareOperators.GTE if opening.kind is Kind.LBRACKET else CompareOperators.GT
        high_op = CompareOperators.LTE if closing.kind is Kind.RBRACKET else CompareOperators.LT
        bounds = [(low_op, low), (high_op, high)]
        children = [
            self.count(Compare(field.raw, op, value, field.position))
            for op, value in bounds
            if value is not None
        ]
        if not children:
            raise QuerySyntaxError("a range needs at least one bound", opening.position)
        return children[0] if len(children) == 1 else AllOf(tuple(children))

    def bound(self) -> int | float | None:
        token = self.current
        self.index += 1
        if token.kind is Kind.WORD and token.raw == "*" and not token.escaped:
            return None
        return self.number(token, "a number or * as a range bound")

    # --- leaves ------------------------------------------------------------------------------
    def field_name(self, token: Token) -> Token:
        if token.escaped or not _FIELD.fullmatch(token.raw):
            raise QuerySyntaxError(f"'{token.raw}' is not a field name", token.position)
        return token

    def number(self, token: Token, expected: str) -> int | float:
        if token.kind is not Kind.WORD or token.escaped or not _NUMBER.fullmatch(token.raw):
            raise QuerySyntaxError(f"expected {expected}, found {_describe(token)}", token.position)
        return _number(token.raw)

    def match(self, field: Token | None, token: Token) -> Node:
        network = address_network(token) if field is not None else None
        if field is not None and network is not None:
            return self.count(InNetwork(field.raw, network, token.position))
        numeric = (
            token.kind is Kind.WORD and not token.escaped and bool(_NUMBER.fullmatch(token.raw))
        )
        parts = token.parts
        if field is None and all(part is SpecialChars.WILDCARD_MULTI for part in parts) and parts:
            raise QuerySyntaxError(
                "'*' alone matches everything: leave the query empty", token.position
            )
        return self.count(Match(field.raw if field else None, parts, numeric, token.position))

    def count(self, node: Match | Compare | InNetwork) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QuerySyntaxError(f"more than {MAX_TERMS} terms in one query", node.position)
        return node


def address_network(token: Token) -> IPv4Network | IPv6Network | None:
    """The network an unquoted ``10.0.0.0/24`` (IPv6: ``2001\\:db8\\:\\:/32``) or ``10.0.*``
    (whole octets) stands for, else None."""
    if token.kind is not Kind.WORD:
        return None
    text = None
    if all(isinstance(part, str) for part in token.parts) and "/" in token.raw:
        text = "".join(str(part) for part in token.parts)
    elif not token.escaped and (prefix := _OCTETS_WILDCARD.fullmatch(token.raw)):
        octets = prefix.group(1).rstrip(".").split(".")
        text = ".".join(octets + ["0"] * (4 - len(octets))) + f"/{8 * len(octets)}"
    if text is None:
        return None
    try:
        return ip_network(text, strict=False)
    except ValueError:
        return None


def _describe(token: Token) -> str:
    if token.kind is Kind.END:
        return "the end of the query"
    if token.kind is Kind.WORD:
        return f"'{token.raw[:40]}'"
    if token.kind is Kind.PHRASE:
        return "a quoted phrase"
    return f"'{token.raw}'" if token.raw else token.kind.value
