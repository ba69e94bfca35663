"""What the Elasticsearch store's event mapping makes of each field, as the rule compiler needs it.

Elasticsearch answers a query by the *type* a field is indexed with, and some queries fail
outright on the wrong type (a ``wildcard`` on a ``long``, a case-insensitive ``term`` on an
``ip``). The compiler therefore reads the store's own component template
(:func:`~canhgac.store.elasticsearch.mappings.events_component`) instead of guessing, so a
mapping change there is followed here without a second list to keep in sync:

* explicitly mapped fields have their declared kind; a ``text`` field is searched through its
  ``keyword`` sub-field when it has one (Sigma matches whole values and substrings, which the
  analysed tokens of a ``text`` field cannot answer);
* every other field is dynamic, and the store maps dynamic strings as ``keyword``;
* a keyword mapped ``"index": false`` is answered from doc values, where Elasticsearch folds
  more than ASCII for a case-insensitive ``term`` or ``prefix`` (see
  :mod:`alerting.detect.compile.elasticsearch.strings`); one whose ``meta`` names a ``grams``
  field has its values' trigrams there (:mod:`canhgac.store.elasticsearch.grams`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from canhgac.store.dialect import events_component

# Elasticsearch's default for index.max_regex_length, used when the template does not set it.
DEFAULT_MAX_REGEX_LENGTH = 1000


class FieldKind(Enum):
    KEYWORD = "keyword"
    TEXT = "text"
    NUMBER = "number"
    IP = "ip"
    DATE = "date"
    BOOLEAN = "boolean"


_KINDS: dict[str, FieldKind] = {
    "keyword": FieldKind.KEYWORD,
    "constant_keyword": FieldKind.KEYWORD,
    "wildcard": FieldKind.KEYWORD,
    "text": FieldKind.TEXT,
    "match_only_text": FieldKind.TEXT,
    "ip": FieldKind.IP,
    "date": FieldKind.DATE,
    "date_nanos": FieldKind.DATE,
    "boolean": FieldKind.BOOLEAN,
    **{
        name: FieldKind.NUMBER
        for name in (
            "long",
            "integer",
            "short",
            "byte",
            "double",
            "float",
            "half_float",
            "scaled_float",
            "unsigned_long",
        )
    },
}


@dataclass(frozen=True, slots=True)
class EventMapping:
    """Field kinds of the event indices, and the limits queries must respect."""

    kinds: Mapping[str, FieldKind] = field(default_factory=dict)
    # A text field -> the name of its keyword sub-field.
    keyword_subfields: Mapping[str, str] = field(default_factory=dict)
    max_regex_length: int = DEFAULT_MAX_REGEX_LENGTH
    # Keyword fields (sub-fields by their full name) searchable through doc values only.
    doc_values_only: frozenset[str] = frozenset()
    # A keyword field -> the field holding its values' trigrams.
    gram_fields: Mapping[str, str] = field(default_factory=dict)

    def kind(self, name: str) -> FieldKind:
        # Dynamic strings are keywords (see the store's dynamic templates).
        return self.kinds.get(name, FieldKind.KEYWORD)

    def keyword_subfield(self, name: str) -> str | None:
        return self.keyword_subfields.get(name)

    def grams_of(self, name: str) -> str | None:
        return self.gram_fields.get(name)


def mapping_from_template(component: Mapping[str, Any]) -> EventMapping:
    """The :class:`EventMapping` a component template body describes."""
    template = component.get("template", {})
    properties: Mapping[str, Any] = template.get("mappings", {}).get("properties", {})
    kinds: dict[str, FieldKind] = {}
    subfields: dict[str, str] = {}
    keywords: dict[str, Mapping[str, Any]] = {}
    for name, spec in properties.items():
        kind = _KINDS.get(str(spec.get("type", "object")))
        if kind is None:
            continue
        kinds[name] = kind
        if kind is FieldKind.KEYWORD:
            keywords[name] = spec
        for sub, sub_spec in (spec.get("fields") or {}).items():
            if _KINDS.get(str(sub_spec.get("type"))) is FieldKind.KEYWORD:
                subfields.setdefault(name, f"{name}.{sub}")
                keywords[f"{name}.{sub}"] = sub_spec
    index = template.get("settings", {}).get("index", {})
    limit = index.get("max_regex_length", DEFAULT_MAX_REGEX_LENGTH)
    return EventMapping(
        kinds,
        subfields,
        int(limit),
        doc_values_only=frozenset(n for n, spec in keywords.items() if spec.get("index") is False),
        gram_fields={
            n: str(spec["meta"]["grams"])
            for n, spec in keywords.items()
            if "grams" in (spec.get("meta") or {})
        },
    )


@lru_cache(maxsize=1)
def store_event_mapping() -> EventMapping:
    """The mapping the Elasticsearch store installs for its event indices."""
    return mapping_from_template(events_component())
