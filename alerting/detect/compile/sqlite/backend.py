"""Sigma rules as WHERE-clause fragments for :meth:`SQLiteStore.search_events`.

Built on pySigma's SQLite backend (its NOT/NULL handling, booleans, existence and timestamp
parts are right for our table), with the parts that differ for Canh Gác:

* fields are read through :func:`canhgac.store.sqlite.schema.sql_field` (indexed column or
  JSON path);
* Sigma compares strings case-insensitively for *every* letter. SQLite's ``LIKE`` folds ASCII
  only, so a value with non-ASCII letters (``NGUYỄN``) is folded at conversion time with
  :func:`canhgac.text.fold` and compared against ``cg_fold(field)``; pure-ASCII values keep the
  C-speed ``LIKE``. ``LIKE`` also compares numbers as text, so ``'404'`` matches a stored 404;
* numbers match a stored number or its text (``EventID: 4624`` vs ``"4624"``);
* keyword detections (bare values, as in every SigmaHQ sshd/syslog rule) search
  ``event.original`` as a case-insensitive substring;
* ``|cidr`` and ``|gt``-style comparisons use the store's ``cg_cidr`` and ``cg_number``
  functions, exact for IPv6 and for numbers stored as strings;
* a plain ASCII string compared with an indexed column becomes ``col = 'v' COLLATE NOCASE``
  (a list: ``col COLLATE NOCASE IN (...)``), which seeks the store's NOCASE dataset index;
* a string or number compared with a field kept in the JSON document is first looked for in
  the document's raw text (``doc LIKE '%value%'``), per value and for the whole rule: a
  substring scan costs a fraction of parsing the JSON and rejects almost every event before
  ``json_extract`` runs (see :mod:`alerting.detect.compile.sqlite.prefilter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeVar

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaValueError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaFieldReference,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
)

from alerting.detect.compile.patterns import StringPart, contains, is_ascii, regex_pattern
from alerting.detect.compile.pipeline import logsource_mapped
from alerting.detect.compile.query import CompiledQuery
from alerting.detect.compile.sqlite.patterns import glob_pattern, like_pattern, sql_literal
from alerting.detect.compile.sqlite.prefilter import (
    Clause,
    leaf_prefilter,
    names_a_key,
    render,
    required_prefilters,
)
from canhgac.errors import StoreError
from canhgac.models import DATASET, ORIGINAL
from canhgac.store.dialect import sql_field, sql_field_container, sql_rule_query
from canhgac.text import fold

V = TypeVar("V")


def _value(
    cond: ConditionFieldEqualsValueExpression | ConditionValueExpression, kind: type[V]
) -> V:
    value = cond.value
    if not isinstance(value, kind):
        raise SigmaValueError(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


def _column_literal(cond: object) -> str | None:
    """The value of ``field = 'plain ASCII'`` on an indexed column, else None. Those compare
    exactly like LIKE does (ASCII case folded, text affinity) but can seek an index."""
    if not isinstance(cond, ConditionFieldEqualsValueExpression) or cond.field is None:
        return None
    value = cond.value
    # type() on purpose: SigmaCasedString is a SigmaString subclass and must stay GLOB.
    if type(value) is not SigmaString or value.contains_special():
        return None
    if not all(isinstance(part, str) for part in value.s):
        return None
    text = "".join(str(part) for part in value.s)
    if not text.isascii() or sql_field_container(cond.field) is not None:
        return None
    return text


def pinned_datasets(cond: object) -> frozenset[str] | None:
    """The only datasets (lowercase) an event matching ``cond`` can have, or None. A log
    source mapped by the pipeline is such a condition (``event.dataset`` is one of a list);
    the store then reads just those datasets' rows for all the rules pinned alike."""
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        name = _column_literal(cond) if cond.field == DATASET else None
        return None if name is None else frozenset({name.lower()})
    if isinstance(cond, ConditionAND):
        pins = [pin for pin in map(pinned_datasets, cond.args) if pin is not None]
        return frozenset.intersection(*pins) if pins else None
    if isinstance(cond, ConditionOR) and cond.args:
        every = [pinned_datasets(arg) for arg in cond.args]
        pins = [pin for pin in every if pin is not None]
        return frozenset().union(*pins) if len(pins) == len(every) else None
    return None


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

    def __init__(self, processing_pipeline: ProcessingPipeline) -> None:
        super().__init__(processing_pipeline)  # type: ignore[no-untyped-call]
        # What each query of the last rule requires (finalize_query), in query order: the
        # needles of its document and the datasets it is pinned to.
        self.required_needles: list[list[Clause]] = []
        self.pinned: list[frozenset[str] | None] = []

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
        # A WHERE fragment: the store adds the SELECT and the time range. Guard it with the
        # needles the whole condition requires, so most events are rejected by one scan.
        if isinstance(rule, SigmaRule):
            parsed = rule.detection.parsed_condition[index].parsed
            required = required_prefilters(parsed)
            self.required_needles.append(required)
            self.pinned.append(pinned_datasets(parsed))
            if required:
                return f"{render(required)} AND ({query})"
        return query

    def finalize_output_default(self, queries: list[str]) -> list[str]:
        return queries

    # --- strings ---------------------------------------------------------------------------
    def match_string(self, field_sql: str, parts: Sequence[StringPart]) -> str:
        """Case-insensitive Sigma string match of ``field_sql`` against ``parts``."""
        if is_ascii(parts):
            return f"{field_sql} LIKE {sql_literal(like_pattern(parts, str))} ESCAPE '\\'"
        return f"cg_fold({field_sql}) LIKE {sql_literal(like_pattern(parts, fold))} ESCAPE '\\'"

    def with_prefilter(self, field: str, value: object, expression: str) -> str:
        """``expression`` guarded by a raw-text prefilter when ``field`` is in the document."""
        clause = leaf_prefilter(field, value)
        if not clause:
            return expression
        return f"({render([clause])} AND {expression})"

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        parts = _value(cond, SigmaString).s
        field = self.escape_and_quote_field(cond.field)
        if _column_literal(cond) is not None:
            return f"{field} = {sql_literal(''.join(map(str, parts)))} COLLATE NOCASE"
        return self.with_prefilter(cond.field, cond.value, self.match_string(field, parts))

    def decide_convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> bool:
        if not isinstance(cond, ConditionOR) or len(cond.args) < 2:
            return False
        literals = [_column_literal(arg) for arg in cond.args]
        fields = {getattr(arg, "field", None) for arg in cond.args}
        return None not in literals and len(fields) == 1

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> str:
        first = cond.args[0]
        assert isinstance(first, ConditionFieldEqualsValueExpression)  # see the decision above
        field = self.escape_and_quote_field(first.field)
        values = ", ".join(sql_literal(str(_column_literal(arg))) for arg in cond.args)
        return f"{field} COLLATE NOCASE IN ({values})"

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        parts = _value(cond, SigmaString).s
        field = self.escape_and_quote_field(cond.field)
        expression = f"{field} GLOB {sql_literal(glob_pattern(parts))}"
        return self.with_prefilter(cond.field, cond.value, expression)

    # --- numbers -----------------------------------------------------------------------------
    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> str:
        number = _value(cond, SigmaNumber).number
        field = self.escape_and_quote_field(cond.field)
        expression = f"{field} IN ({number!r}, {sql_literal(str(number))})"
        return self.with_prefilter(cond.field, cond.value, expression)

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
        return self.match_string(field, contains(value.s))

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        value = _value(cond, SigmaNumber)
        field = self.escape_and_quote_field(self.keyword_field)
        return self.match_string(field, contains([str(value.number)]))

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> str:
        field = self.escape_and_quote_field(self.keyword_field)
        return f"{field} REGEXP {sql_literal(regex_pattern(_value(cond, SigmaRegularExpression)))}"


def compile_sqlite(rule: SigmaRule, pipeline: ProcessingPipeline) -> CompiledQuery:
    """Apply ``pipeline`` to ``rule`` (in place) and compile it to one WHERE fragment."""
    backend = SQLiteQueryBackend(pipeline)
    converted = backend.convert_rule(rule)  # type: ignore[no-untyped-call]
    queries = [str(query) for query in converted]
    if not queries:
        raise SigmaValueError("the rule's condition produced no query")
    query = queries[0] if len(queries) == 1 else " OR ".join(f"({q})" for q in queries)
    # The store may search many rules at once (its dialect's rule_query). With several
    # queries OR-ed, what one requires is not required of the whole: nothing is passed.
    # A clause naming a field's key guards the SQL but is not handed on: the store's needle
    # pass would find that key in nearly every document of a rule's log source, and looking
    # costs more than the few rows it would spare (SigmaHQ's 128 Windows rules: 7 % slower).
    if len(backend.required_needles) == 1:
        clauses = [
            frozenset(p for _, p in clause)
            for clause in backend.required_needles[0]
            if not any(map(names_a_key, clause))
        ]
        query = sql_rule_query(query, clauses, backend.pinned[0])
    return CompiledQuery(query, logsource_mapped(backend.last_processing_pipeline, rule))
