"""Sigma rules as WHERE-clause fragments for :meth:`SQLiteStore.search_events`.

Built on pySigma's SQLite backend (its NOT/NULL handling, booleans, existence and timestamp
parts are right for our table), with the parts that differ for Canh Gác:

* fields are read through :func:`canhgac.store.sqlite.sql_field` (indexed column or JSON path);
* Sigma compares strings case-insensitively for *every* letter. SQLite's ``LIKE`` folds ASCII
  only, so a value with non-ASCII letters (``NGUYỄN``) is folded at conversion time with
  :func:`canhgac.text.fold` and compared against ``cg_fold(field)``; pure-ASCII values keep the
  C-speed ``LIKE``. ``LIKE`` also compares numbers as text, so ``'404'`` matches a stored 404;
* numbers match a stored number or its text (``EventID: 4624`` vs ``"4624"``);
* keyword detections (bare values, as in every SigmaHQ sshd/syslog rule) search
  ``event.original`` as a case-insensitive substring;
* ``|cidr`` and ``|gt``-style comparisons use the store's ``cg_cidr`` and ``cg_number``
  functions, exact for IPv6 and for numbers stored as strings;
* a string or number compared with a field kept in the JSON document is first looked for in
  the document's raw text (``doc LIKE '%value%'``): a substring scan costs a fraction of
  parsing the JSON, and rejects almost every event before ``json_extract`` runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionValueExpression
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaRegularExpressionError, SigmaValueError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from alerting.detect.pipeline import logsource_mapped
from canhgac.errors import StoreError
from canhgac.models import ORIGINAL
from canhgac.store.sqlite import sql_field, sql_field_container
from canhgac.text import fold, nfc

StringPart = str | SpecialChars | Placeholder
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A rule compiled for one store, and whether the pipeline mapped its log source."""

    query: Any
    logsource_mapped: bool


def sql_literal(text: str) -> str:
    """A SQL string literal. NUL cannot appear inside one, so it is spliced in as char(0)."""
    quoted = "'" + text.replace("'", "''") + "'"
    return quoted.replace("\x00", "' || char(0) || '")


def like_pattern(parts: Sequence[StringPart], normalize: Callable[[str], str]) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern from Sigma string parts."""
    out = []
    for part in parts:
        if isinstance(part, str):
            text = normalize(part)
            out.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        elif part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        else:
            raise _unresolved(part)
    return "".join(out)


def glob_pattern(parts: Sequence[StringPart]) -> str:
    """A ``GLOB`` pattern (case-sensitive); literal metacharacters become one-char classes."""
    out = []
    for part in parts:
        if isinstance(part, str):
            # "[" first, so the brackets added for "*" and "?" are not escaped again.
            text = nfc(part).replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
            out.append(text)
        elif part is SpecialChars.WILDCARD_MULTI:
            out.append("*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("?")
        else:
            raise _unresolved(part)
    return "".join(out)


def _unresolved(part: object) -> SigmaValueError:
    name = part.name if isinstance(part, Placeholder) else str(part)
    return SigmaValueError(f"placeholder '%{name}%' is not resolved by the processing pipeline")


def _value(
    cond: ConditionFieldEqualsValueExpression | ConditionValueExpression, kind: type[V]
) -> V:
    value = cond.value
    if not isinstance(value, kind):
        raise SigmaValueError(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


# Characters JSON escapes: a value holding one is not a plain substring of its document.
_JSON_ESCAPED = frozenset('"\\' + "".join(map(chr, range(0x20))))


def prefilter_pattern(parts: Sequence[StringPart]) -> str | None:
    """A LIKE pattern the JSON document must match if a value matches ``parts``, or None
    when no sound and useful one exists (non-ASCII, JSON-escaped characters, no literal)."""
    literals = [part for part in parts if isinstance(part, str)]
    text = "".join(literals)
    if not text or not text.isascii():
        return None
    # A single-character wildcard may stand for a character JSON writes as several.
    widened = [
        SpecialChars.WILDCARD_MULTI if p is SpecialChars.WILDCARD_SINGLE else p for p in parts
    ]
    pattern = "%" + like_pattern(widened, str) + "%"
    while "%%" in pattern:
        pattern = pattern.replace("%%", "%")
    return pattern


def _is_ascii(parts: Sequence[StringPart]) -> bool:
    return all(part.isascii() for part in parts if isinstance(part, str))


def _contains(parts: Sequence[StringPart]) -> list[StringPart]:
    inner = list(parts)
    if not inner or inner[0] is not SpecialChars.WILDCARD_MULTI:
        inner.insert(0, SpecialChars.WILDCARD_MULTI)
    if inner[-1] is not SpecialChars.WILDCARD_MULTI:
        inner.append(SpecialChars.WILDCARD_MULTI)
    return inner


def regex_pattern(value: SigmaRegularExpression) -> str:
    """The Python regex the store's REGEXP runs, flags as an inline prefix; validated here so
    a bad one is a rule error at load time, never a failing query at run time."""
    flags = "".join(sorted(value.sigma_to_re_flag[flag] for flag in value.flags))
    pattern = (f"(?{flags})" if flags else "") + nfc(str(value.regexp))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise SigmaRegularExpressionError(
            f"Regular expression '{value.regexp}' is invalid: {exc}"
        ) from None
    return pattern


class SQLiteQueryBackend(sqliteBackend):
    """pySigma's SQLite backend producing WHERE fragments over Canh Gác's events table."""

    name: ClassVar[str] = "Canh Gác SQLite"
    keyword_field: ClassVar[str] = ORIGINAL
    compare_sql: ClassVar[dict[CompareOperators, str]] = {
        CompareOperators.LT: "<",
        CompareOperators.LTE: "<=",
        CompareOperators.GT: ">",
        CompareOperators.GTE: ">=",
        CompareOperators.NEQ: "!=",
    }

    # --- fields and output ---------------------------------------------------------------
    def escape_and_quote_field(self, field_name: str) -> str:
        try:
            return sql_field(field_name)
        except StoreError as exc:
            raise SigmaValueError(str(exc)) from None

    def finalize_query_default(
        self,
        rule: SigmaRule | SigmaCorrelationRule,
        query: str,
        index: int,
        state: ConversionState,
    ) -> str:
        return query  # a WHERE fragment: the store adds the SELECT and the time range

    def finalize_output_default(self, queries: list[str]) -> list[str]:
        return queries

    # --- strings ---------------------------------------------------------------------------
    def match_string(self, field_sql: str, parts: Sequence[StringPart]) -> str:
        """Case-insensitive Sigma string match of ``field_sql`` against ``parts``."""
        if _is_ascii(parts):
            return f"{field_sql} LIKE {sql_literal(like_pattern(parts, str))} ESCAPE '\\'"
        return f"cg_fold({field_sql}) LIKE {sql_literal(like_pattern(parts, fold))} ESCAPE '\\'"

    def with_prefilter(self, field: str, parts: Sequence[StringPart], expression: str) -> str:
        """``expression`` preceded by a raw-text prefilter when ``field`` is in the document."""
        container = sql_field_container(field)
        pattern = prefilter_pattern(parts) if container else None
        if pattern is None:
            return expression
        return f"({container} LIKE {sql_literal(pattern)} ESCAPE '\\' AND {expression})"

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        parts = _value(cond, SigmaString).s
        expression = self.match_string(self.escape_and_quote_field(cond.field), parts)
        return self.with_prefilter(cond.field, parts, expression)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        parts = _value(cond, SigmaString).s
        field = self.escape_and_quote_field(cond.field)
        expression = f"{field} GLOB {sql_literal(glob_pattern(parts))}"
        return self.with_prefilter(cond.field, parts, expression)

    # --- numbers -----------------------------------------------------------------------------
    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        number = _value(cond, SigmaNumber).number
        field = self.escape_and_quote_field(cond.field)
        expression = f"{field} IN ({number!r}, {sql_literal(str(number))})"
        return self.with_prefilter(cond.field, [str(number)], expression)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value = _value(cond, SigmaCompareExpression)
        if isinstance(value.number, SigmaTimestampPart):
            return str(super().convert_condition_field_compare_op_val(cond, state))
        field = self.escape_and_quote_field(cond.field)
        return f"cg_number({field}) {self.compare_sql[value.op]} {value.number.number!r}"

    # --- regular expressions, networks, field references --------------------------------------
    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(cond.field)
        return f"{field} REGEXP {sql_literal(regex_pattern(_value(cond, SigmaRegularExpression)))}"

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        value = _value(cond, SigmaCIDRExpression)
        field = self.escape_and_quote_field(cond.field)
        return f"cg_cidr({field}, {sql_literal(str(value.network))})"

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        reference = _value(cond, SigmaFieldReference)
        left = f"cg_fold({self.escape_and_quote_field(cond.field)})"
        right = f"cg_fold({self.escape_and_quote_field(reference.field)})"
        if reference.starts_with and reference.ends_with:
            return f"instr({left}, {right}) > 0"
        if reference.starts_with:
            return f"instr({left}, {right}) = 1"
        if reference.ends_with:
            return f"({right} = '' OR substr({left}, -length({right})) = {right})"
        return f"{left} = {right}"

    # --- keywords: bare values search the raw line --------------------------------------------
    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        value = _value(cond, SigmaString)
        field = self.escape_and_quote_field(self.keyword_field)
        return self.match_string(field, _contains(value.s))

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        value = _value(cond, SigmaNumber)
        field = self.escape_and_quote_field(self.keyword_field)
        return self.match_string(field, _contains([str(value.number)]))

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(self.keyword_field)
        return f"{field} REGEXP {sql_literal(regex_pattern(_value(cond, SigmaRegularExpression)))}"


def compile_sqlite(rule: SigmaRule, pipeline: ProcessingPipeline) -> CompiledQuery:
    """Apply ``pipeline`` to ``rule`` (in place) and compile it to one WHERE fragment."""
    backend = SQLiteQueryBackend(pipeline)  # type: ignore[no-untyped-call]
    converted = backend.convert_rule(rule)  # type: ignore[no-untyped-call]
    queries = [str(query) for query in converted]
    if not queries:
        raise SigmaValueError("the rule's condition produced no query")
    query = queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)
    return CompiledQuery(query, logsource_mapped(backend.last_processing_pipeline, rule))
