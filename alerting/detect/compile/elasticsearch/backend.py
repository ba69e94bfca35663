"""Sigma rules as query DSL for :meth:`ElasticsearchStore.search_events`.

A pySigma backend built on the parsed condition tree (like the SQLite one), not on pySigma's
Lucene backend: Lucene query strings are case-sensitive on keyword fields, have anchored
regexes and cannot say "this field is an IP". Each leaf becomes a DSL query chosen by the
field's type in the store's mapping (:mod:`alerting.detect.compile.elasticsearch.leaves`),
and ``and``/``or``/``not`` become ``bool`` ``filter``/``should``/``must_not``, which is Sigma's
two-valued logic: a condition on a field the event lacks is false, and its negation true.

The results are meant to equal the SQLite store's for every rule both accept; a rule this
backend cannot run exactly is refused with the reason (field references, which need a script;
timestamp-part modifiers; numeric comparisons on fields not mapped as numbers; regex constructs
Lucene lacks ...). The conformance corpus in ``tests/conformance`` holds both stores to that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NoReturn, TypeVar

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import Backend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaValueError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
)

from alerting.detect.compile.elasticsearch.fields import (
    EventMapping,
    FieldKind,
    store_event_mapping,
)
from alerting.detect.compile.elasticsearch.grams import within_gram_budget
from alerting.detect.compile.elasticsearch.leaves import (
    BOOL_QUERIES,
    CIDR_QUERIES,
    COMPARE_QUERIES,
    NUMBER_QUERIES,
    REGEX_QUERIES,
    STRING_QUERIES,
    refuse,
)
from alerting.detect.compile.elasticsearch.strings import NotSupportedOnElasticsearch, Query
from alerting.detect.compile.patterns import contains, regex_pattern
from alerting.detect.compile.pipeline import logsource_mapped
from alerting.detect.compile.query import CompiledQuery
from canhgac.models import ORIGINAL

V = TypeVar("V")


def _value(
    cond: ConditionFieldEqualsValueExpression | ConditionValueExpression, kind: type[V]
) -> V:
    value = cond.value
    if not isinstance(value, kind):
        raise SigmaValueError(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


def _any_of(queries: Sequence[Query]) -> Query:
    flat: list[Query] = []
    for query in queries:
        inner = query.get("bool", {})
        if set(inner) == {"should", "minimum_should_match"}:
            flat.extend(inner["should"])  # (a or b) or c == a or b or c
        else:
            flat.append(query)
    flat = _merge_terms(flat)
    if len(flat) == 1:
        return flat[0]
    return {"bool": {"should": flat, "minimum_should_match": 1}}


def _merge_terms(queries: list[Query]) -> list[Query]:
    """Plain ``term`` alternatives on one field as one ``terms`` query (lists of ports, ids)."""
    values: dict[str, list[Any]] = {}
    for query in queries:
        term = query.get("term")
        if len(query) == 1 and isinstance(term, dict) and len(term) == 1:
            [(field, value)] = term.items()
            if not isinstance(value, dict):
                values.setdefault(field, []).append(value)
    merged = {field for field, found in values.items() if len(found) > 1}
    out: list[Query] = []
    for query in queries:
        term = query.get("term")
        field = next(iter(term)) if len(query) == 1 and isinstance(term, dict) else None
        if field not in merged or isinstance(term[field], dict):  # type: ignore[index]
            out.append(query)
        elif field in values:
            out.append({"terms": {field: values.pop(field)}})  # at the first; skip the rest
        # else: already in the terms query emitted for this field
    return out


def _all_of(queries: Sequence[Query]) -> Query:
    flat: list[Query] = []
    for query in queries:
        inner = query.get("bool", {})
        flat.extend(inner["filter"] if set(inner) == {"filter"} else [query])
    return flat[0] if len(flat) == 1 else {"bool": {"filter": flat}}


class ElasticsearchQueryBackend(Backend):
    """pySigma backend producing one query DSL clause per rule condition."""

    name: ClassVar[str] = "Canh Gác Elasticsearch"
    keyword_field: ClassVar[str] = ORIGINAL

    def __init__(
        self,
        processing_pipeline: ProcessingPipeline | None = None,
        mapping: EventMapping | None = None,
    ) -> None:
        super().__init__(processing_pipeline)
        self.mapping = mapping or store_event_mapping()

    # --- fields -------------------------------------------------------------------------------
    def target(self, field: str | None) -> tuple[str, FieldKind]:
        """The indexed field to query for ``field`` and its kind; a text field is searched
        through its keyword sub-field."""
        if not field:
            raise SigmaValueError("a detection item without a field name")
        kind = self.mapping.kind(field)
        if kind is FieldKind.TEXT:
            keyword = self.mapping.keyword_subfield(field)
            if keyword is None:
                raise NotSupportedOnElasticsearch(
                    f"field '{field}' is indexed as text only (analysed words), which cannot "
                    "answer Sigma's whole-value and substring matches; the store mapping needs "
                    "a keyword sub-field for it"
                )
            return keyword, FieldKind.KEYWORD
        return field, kind

    # --- boolean structure --------------------------------------------------------------------
    def _converted(self, args: Sequence[Any], state: ConversionState) -> list[Query]:
        return [q for q in (self.convert_condition(arg, state) for arg in args) if q is not None]

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> Query | None:
        queries = self._converted(cond.args, state)
        return _any_of(queries) if queries else None

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> Query | None:
        queries = self._converted(cond.args, state)
        return _all_of(queries) if queries else None

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Query | None:
        queries = self._converted(cond.args, state)
        return {"bool": {"must_not": queries}} if queries else None

    def convert_condition_as_in_expression(
        self, cond: ConditionOR | ConditionAND, state: ConversionState
    ) -> Query:
        raise NotImplementedError  # convert_or_as_in is off: OR lists stay ORs of leaves

    # --- field = value ------------------------------------------------------------------------
    def _string(self, cond: ConditionFieldEqualsValueExpression, cased: bool) -> Query:
        field, kind = self.target(cond.field)
        parts = _value(cond, SigmaString).s
        return STRING_QUERIES[kind](field, kind, parts, cased, self.mapping)

    def convert_condition_field_eq_val_str(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        return self._string(cond, cased=False)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        return self._string(cond, cased=True)

    def convert_condition_field_eq_val_num(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        return NUMBER_QUERIES[kind](field, kind, _value(cond, SigmaNumber).number, self.mapping)

    def convert_condition_field_eq_val_bool(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        return BOOL_QUERIES[kind](field, kind, _value(cond, SigmaBool).boolean)

    def convert_condition_field_eq_val_re(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        pattern = regex_pattern(_value(cond, SigmaRegularExpression))
        return REGEX_QUERIES[kind](field, kind, pattern, self.mapping)

    def convert_condition_field_eq_val_cidr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        network = _value(cond, SigmaCIDRExpression).network
        return CIDR_QUERIES[kind](field, kind, network, self.mapping)

    def convert_condition_field_compare_op_val(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        value = _value(cond, SigmaCompareExpression)
        if isinstance(value.number, SigmaTimestampPart):
            raise refuse(field, kind, "a timestamp-part comparison (it needs a script)")
        return COMPARE_QUERIES[kind](field, kind, value.op, value.number.number)

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(cond.field)
        raise refuse(field, kind, "a timestamp-part match (it needs a script)")

    def convert_condition_field_eq_field(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        raise NotSupportedOnElasticsearch(
            f"|fieldref on field '{cond.field}' is not supported on Elasticsearch: comparing two "
            "fields of one event needs a script, which the store does not run"
        )

    def convert_condition_field_eq_val_null(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        # JSON null is not indexed: null and absent are the same, as in the SQLite store.
        return {"bool": {"must_not": [self._exists(cond.field)]}}

    def _exists(self, field: str | None) -> Query:
        if not field:
            raise SigmaValueError("a detection item without a field name")
        return {"exists": {"field": field}}

    def convert_condition_field_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        return self._exists(cond.field)

    def convert_condition_field_not_exists(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        return {"bool": {"must_not": [self._exists(cond.field)]}}

    def convert_condition_field_eq_query_expr(
        self, cond: ConditionFieldEqualsValueExpression, state: ConversionState
    ) -> Query:
        raise NotSupportedOnElasticsearch("query expressions are not supported on Elasticsearch")

    # --- keywords: bare values search the raw line --------------------------------------------
    def convert_condition_val_str(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(self.keyword_field)
        parts = contains(_value(cond, SigmaString).s)
        return STRING_QUERIES[kind](field, kind, parts, False, self.mapping)

    def convert_condition_val_num(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(self.keyword_field)
        parts = contains([str(_value(cond, SigmaNumber).number)])
        return STRING_QUERIES[kind](field, kind, parts, False, self.mapping)

    def convert_condition_val_re(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Query:
        field, kind = self.target(self.keyword_field)
        pattern = regex_pattern(_value(cond, SigmaRegularExpression))
        return REGEX_QUERIES[kind](field, kind, pattern, self.mapping)

    def convert_condition_query_expr(
        self, cond: ConditionValueExpression, state: ConversionState
    ) -> Query:
        raise NotSupportedOnElasticsearch("query expressions are not supported on Elasticsearch")

    # --- correlations: evaluated by the detection engine from their base rules' queries ------
    def _no_correlation(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotSupportedOnElasticsearch("correlation rules are not converted into one query")

    convert_correlation_event_count_rule = _no_correlation
    convert_correlation_value_count_rule = _no_correlation
    convert_correlation_temporal_rule = _no_correlation
    convert_correlation_temporal_ordered_rule = _no_correlation
    convert_correlation_extended_temporal_rule = _no_correlation
    convert_correlation_extended_temporal_ordered_rule = _no_correlation
    convert_correlation_value_sum_rule = _no_correlation
    convert_correlation_value_avg_rule = _no_correlation
    convert_correlation_value_percentile_rule = _no_correlation
    convert_correlation_value_median_rule = _no_correlation

    # --- output -------------------------------------------------------------------------------
    def finalize_query_default(
        self, rule: SigmaRule | SigmaCorrelationRule, query: Any, index: int, state: ConversionState
    ) -> Any:
        return query

    def finalize_output_default(self, queries: list[Any]) -> list[Any]:
        return queries


def compile_elasticsearch(rule: SigmaRule, pipeline: ProcessingPipeline) -> CompiledQuery:
    """Apply ``pipeline`` to ``rule`` (in place) and compile it to one query DSL clause."""
    backend = ElasticsearchQueryBackend(pipeline)
    queries = [query for query in backend.convert_rule(rule) if query is not None]
    if not queries:
        raise SigmaValueError("the rule's condition produced no query")
    query = within_gram_budget(_any_of(queries))
    return CompiledQuery(query, logsource_mapped(backend.last_processing_pipeline, rule))
