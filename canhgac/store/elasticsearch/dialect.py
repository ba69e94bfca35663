"""The Elasticsearch store's dialect: its event mapping and indexed trigrams (see
:mod:`canhgac.store.dialect`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from canhgac.store.elasticsearch import grams as es_grams
from canhgac.store.elasticsearch import mappings as es_mappings


@dataclass(frozen=True, slots=True)
class ElasticsearchDialect:
    """The Elasticsearch store's event mapping and the trigrams it indexes."""

    query_language: str = "elasticsearch"
    #: Set on events whose gram fields' trigrams are indexed (older events lack it).
    grams_marker: str = es_mappings.GRAMS_MARKER

    def events_mapping(self, *, total_fields_limit: int = 5000) -> dict[str, Any]:
        """The events' component template (see
        :func:`canhgac.store.elasticsearch.mappings.events_component`)."""
        return es_mappings.events_component(total_fields_limit=total_fields_limit)

    def needle_grams(
        self, segments: Iterable[str], limit: int = es_grams.MAX_NEEDLE_GRAMS
    ) -> list[str]:
        """The trigrams every value matching ``segments`` has (see
        :func:`canhgac.store.elasticsearch.grams.needle_grams`)."""
        return es_grams.needle_grams(segments, limit)


ELASTICSEARCH = ElasticsearchDialect()
