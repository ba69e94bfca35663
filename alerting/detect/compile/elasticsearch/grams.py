"""Trigram prefilters for string leaves on the Elasticsearch store's gram fields.

A gram field (``event.original``, command lines, URLs; see
:mod:`canhgac.store.elasticsearch.mappings`) is kept in doc values only, so its exact query is
a per-event check, and each event carries its values' trigrams in an indexed field. A leaf on
such a field becomes

    bool.filter: [ <every needle trigram as a term> , <the exact query> ]

The trigrams are implied by the exact match
(:func:`canhgac.store.elasticsearch.grams.needle_grams`), so the leaf matches exactly the same
events -- also under ``not`` and inside ``or`` -- and Elasticsearch checks doc values only for
the events having them all.

Indices written before the store computed grams (or reindexed: ``_source`` does not keep them)
have events without any. The trigram terms are therefore only required of events marked
``canhgac.grammed``: ``should: [trigrams, must_not: exists(marker)]``. In an index where every
event has the marker, Lucene rewrites the ``exists`` to "all" and the whole alternative away,
so the leaf costs nothing more there, and elsewhere unmarked events are checked in full.

Elasticsearch refuses a query of more clauses than the node allows (1,024 at the least; the
limit grows with heap and search threads): a rule keeps at most :data:`MAX_RULE_GRAMS`
trigram terms, fewer per leaf if it has many long needles (:func:`within_gram_budget`; any
subset of a needle's trigrams is as sound). The largest SigmaHQ rule the project compiles has
453 of them and about 80 other leaf queries.

A needle without an all-ASCII trigram (shorter than three characters between wildcards, or
non-ASCII throughout) keeps the plain exact query: correct, but a doc-values check of every
event the rest of the rule leaves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from alerting.detect.compile.elasticsearch.fields import EventMapping
from alerting.detect.compile.elasticsearch.strings import Query
from canhgac.store.dialect import GRAMS_MARKER, needle_grams

# Trigram terms one rule may hold in all: half the smallest clause limit, the other half for
# the rule's own leaf queries.
MAX_RULE_GRAMS = 512


def _unmarked() -> Query:
    return {"bool": {"must_not": [{"exists": {"field": GRAMS_MARKER}}]}}


def gram_guarded(query: Query, field: str, mapping: EventMapping, segments: Sequence[str]) -> Query:
    """``query`` (an exact match of ``field`` against a value whose literal text between
    wildcards is ``segments``) behind the value's trigrams, if ``field`` has any."""
    grams_field = mapping.grams_of(field)
    if grams_field is None:
        return query
    grams = needle_grams(segments)
    if not grams:
        return query
    required: Query = {"bool": {"filter": [{"term": {grams_field: gram}} for gram in grams]}}
    guard: Query = {"bool": {"should": [required, _unmarked()], "minimum_should_match": 1}}
    return {"bool": {"filter": [guard, query]}}


def within_gram_budget(query: Query, budget: int = MAX_RULE_GRAMS) -> Query:
    """``query`` with at most ``budget`` trigram terms, the same number kept per leaf (the
    first ones: :func:`needle_grams` puts those covering the needle best first)."""
    lists = list(_gram_lists(query))
    if sum(map(len, lists)) > budget:
        keep = max(1, budget // len(lists))
        for terms in lists:
            del terms[keep:]
    return query


def _gram_lists(node: Any) -> Iterator[list[Query]]:
    """The trigram term lists of every guard in ``node`` (built by :func:`gram_guarded`)."""
    if isinstance(node, list):
        for item in node:
            yield from _gram_lists(item)
    elif isinstance(node, dict):
        should = node.get("bool", {}).get("should")
        if isinstance(should, list) and len(should) == 2 and should[1] == _unmarked():
            yield should[0]["bool"]["filter"]
            return
        for value in node.values():
            yield from _gram_lists(value)
