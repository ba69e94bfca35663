"""Index names, settings and mappings of the Elasticsearch store (plain data, no client).

Layout for ``index_prefix`` *p*:

- ``p-events-YYYY.MM.DD``: events, one index per UTC day of ``@timestamp``. The index template
  ``p-events`` composes our component template ``p-events@canhgac`` (settings, ECS mappings)
  with an optional ``p-events@custom`` an operator may create for overrides (shards, ILM).
  The day comes from the event itself, so a re-delivered event lands in the same index and
  ``op_type=create`` keeps the write idempotent.
- ``p-dead-letters``, ``p-alerts``, ``p-alert-events`` (one document per alert x matched event,
  so the distinct count is a ``count`` and re-recording is idempotent), ``p-notifications``,
  ``p-rule-state`` and ``p-rule-runs``.

Why the mapping looks like this:

- ``subobjects: false``: events are flat dotted ECS keys, and hostile or merely sloppy logs do
  carry both ``a`` and ``a.b``; as objects those two conflict and the event would be rejected.
- strings are ``keyword`` (Sigma matches whole values), ``ignore_above: 8191`` characters so a
  long value (at most 4 bytes per character) stays under Lucene's 32766-byte term limit; it is
  still kept in ``_source``. ``event.original`` is ``text`` for full-text search; ``message`` is a
  keyword with a ``message.text`` sub-field. The test node has no ``wildcard`` or
  ``match_only_text`` types, so neither is used.
- *gram fields* (:data:`GRAM_SOURCES`: the raw line and the high-cardinality strings Sigma
  rules search with ``contains``/``endswith``) are keywords in doc values only (``"index":
  false``, ``"meta": {"grams": "canhgac.grams"}``), and every event carries the trigrams of
  their values in ``canhgac.grams`` (indexed, no doc values) plus ``canhgac.grammed: true``.
  A substring match then looks up the needle's trigrams and verifies only the events having
  them all on doc values, instead of walking a terms dictionary as large as the index (see
  :mod:`.grams`). Both derived fields are left out of ``_source``, so stored
  events read back unchanged (Elasticsearch keeps the whole document in ``_recovery_source``
  until a merge after the next flush drops it). Detection requires the grams only of events
  marked ``canhgac.grammed`` (free in an index where every event is: Lucene rewrites the
  ``exists`` to "all"), so indices written before grams existed, or reindexed (``_source``
  lacks the grams), stay exact.
- ``event.ingested`` is ``date_nanos``: the canonical strings have microseconds, and detection
  windows and ``search_after`` paging must compare them exactly (``date`` keeps milliseconds).
- ECS fields we write are mapped with their ECS types (:data:`ECS_FIELD_TYPES`); fields
  outside ECS are under ``hanoi.<dataset>.`` (application logs) or an Elastic integration's
  namespace (``winlog.``, ``auditd.log.`` ...), so one dataset's type cannot clash with another's.
- IP and date fields ignore malformed values (a hostname in ``source.ip`` is common in real logs and
  should not cost the event); numeric ECS fields do not, so a non-number there is a mapping
  error and the event becomes a dead letter with the reason.
- ``date_detection`` is off: a string that happens to look like a date must not fix the type
  of a field for the whole day. Beyond the total-fields limit, new fields are kept in
  ``_source`` but not indexed (``ignore_dynamic_beyond_limit``) instead of rejecting the event.
- bookkeeping timestamps (``last_seen``, ``received_at`` ...) are keywords, compared as the
  canonical fixed-width strings exactly like the SQLite store does, with a ``date`` sub-field
  for Kibana.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canhgac.health.fields import (
    ADDRESS_FIELD,
    FILE_PATH_FIELD,
    SOURCE_FIELD,
)
from canhgac.models import ORIGINAL
from canhgac.store.elasticsearch.alert_ecs import alert_ecs_properties
from canhgac.store.elasticsearch.ecs_fields import ECS_FIELD_TYPES

# The keyword field events are sorted on after event.ingested: sorting on _id is disabled by
# default in Elasticsearch, and ECS event.id may be set by the log itself.
EVENT_ID_FIELD = "canhgac.event_id"
KEYWORD_MAX_CHARS = 8191
# Trigrams of the gram fields' values, and the mark of an event that has them.
GRAMS_FIELD = "canhgac.grams"
GRAMS_MARKER = "canhgac.grammed"
# Derived at write time for data health (canhgac.store.elasticsearch.health), because the
# aggregations need them per event and a script is not always available: ms of event.ingested minus
# @timestamp, host.name or else log.source.address, the first sequence number.
SKEW_FIELD = "canhgac.health.skew_ms"
HEALTH_HOST_FIELD = "canhgac.health.host"
SEQUENCE_FIELD = "canhgac.health.sequence"
#: Fields the store adds to an event and keeps out of its _source.
DERIVED_FIELDS = (GRAMS_FIELD, GRAMS_MARKER, SKEW_FIELD, HEALTH_HOST_FIELD, SEQUENCE_FIELD)
# The gram fields: ``event.original`` (Sigma keywords search it; unique per event) first, so
# the values inside it add no work; then the strings SigmaHQ rules search with contains or
# endswith whose values are nearly unique per event. Measured on 200,000 events, a
# case-insensitive ``*needle*`` walks about 1 ms of terms per 10,000 distinct values, while
# trigrams plus doc values answer a rare needle in 1-1.5 ms whatever the count, but cost
# about 2.5 us per candidate event for a needle most events contain: a field with a few
# thousand values a day (process.executable, user_agent.original) is cheaper to walk and
# stays indexed. ``message`` is unique per event too, but no rule searches it by substring
# (keywords search the raw line), and field-less query_string searches it as a keyword.
GRAM_SOURCES = (
    "event.original",
    "process.command_line",
    "process.parent.command_line",
    "url.original",
    "url.query",
)

# How each ECS type is stored (the keyword family as keyword, with the gram fields' variant).
_STORED_AS: dict[str, dict[str, Any]] = {
    "long": {"type": "long"},
    "ip": {"type": "ip", "ignore_malformed": True},
    "date": {"type": "date", "ignore_malformed": True},
}
# Non-ECS numbers our parsers write in their integration namespaces.
_INTEGRATION_LONG = ("hanoi.auditd.sequence", "log.offset")  # log.offset: Filebeat's, not ECS
_KEYWORD = {"type": "keyword", "ignore_above": KEYWORD_MAX_CHARS}
# Provenance of every event (canhgac.health.fields), keywords like every string, named here
# so the mapping documents them.
_PROVENANCE = (SOURCE_FIELD, ADDRESS_FIELD, FILE_PATH_FIELD)
# Doc values answer every keyword query, as a per-document check (see module doc).
_GRAM_KEYWORD = {**_KEYWORD, "index": False, "meta": {"grams": GRAMS_FIELD}}
_TIME_KEYWORD = {
    "type": "keyword",
    "fields": {"date": {"type": "date_nanos", "ignore_malformed": True}},
}
# One primary shard per index; replicas follow the cluster size (0 on a single node, which
# keeps the dev node green, 1 as soon as there is a second node).
_SMALL_INDEX = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


@dataclass(frozen=True, slots=True)
class IndexNames:
    """Every index name derived from one prefix."""

    prefix: str

    @property
    def events_pattern(self) -> str:
        return f"{self.prefix}-events-*"

    @property
    def events_template(self) -> str:
        return f"{self.prefix}-events"

    @property
    def events_component(self) -> str:
        """The component template holding the event settings and mappings (managed here)."""
        return f"{self.prefix}-events@canhgac"

    @property
    def events_custom(self) -> str:
        """An optional component template an operator may create to override settings
        (shards, replicas, ``index.lifecycle.name``, refresh interval) or add mappings; it
        is applied after ours, and this store never writes it."""
        return f"{self.prefix}-events@custom"

    def events_for_day(self, day: str) -> str:
        """``day`` is ``YYYY-MM-DD``; index names use dots like Beats/Logstash ones."""
        return f"{self.prefix}-events-{day.replace('-', '.')}"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}-dead-letters"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}-alerts"

    @property
    def alert_events(self) -> str:
        return f"{self.prefix}-alert-events"

    @property
    def notifications(self) -> str:
        return f"{self.prefix}-notifications"

    @property
    def rule_state(self) -> str:
        return f"{self.prefix}-rule-state"

    @property
    def rule_runs(self) -> str:
        return f"{self.prefix}-rule-runs"

    @property
    def rule_switches(self) -> str:
        return f"{self.prefix}-rule-switches"

    @property
    def leases(self) -> str:
        return f"{self.prefix}-leases"

    @property
    def writer_marks(self) -> str:
        return f"{self.prefix}-writer-marks"

    @property
    def health(self) -> str:
        """Hourly data-health buckets per source key (canhgac.store.elasticsearch.health)."""
        return f"{self.prefix}-health"

    @property
    def incidents(self) -> str:
        """One document per incident (canhgac.store.elasticsearch.incidents)."""
        return f"{self.prefix}-incidents"

    def templates(self) -> list[str]:
        """Every index template the store puts (for an operator's or a test's cleanup)."""
        return [self.events_template, *self.fixed()]

    def fixed(self) -> dict[str, dict[str, Any]]:
        """The non-event indices with their settings and mappings. Each gets an index
        template of its own name, so the index is created with them on first write (and
        nothing is created for a kind a process never writes)."""
        return {
            self.dead_letters: DEAD_LETTER_MAPPING,
            self.alerts: ALERT_MAPPING,
            self.alert_events: ALERT_EVENT_MAPPING,
            self.notifications: NOTIFICATION_MAPPING,
            self.rule_state: RULE_STATE_MAPPING,
            self.rule_runs: RULE_RUN_MAPPING,
            self.rule_switches: RULE_SWITCH_MAPPING,
            self.leases: LEASE_MAPPING,
            self.writer_marks: WRITER_MARK_MAPPING,
            self.health: HEALTH_MAPPING,
            self.incidents: INCIDENT_MAPPING,
        }


# index.max_regex_length of the event indices (the compiler reads it from the template).
MAX_REGEX_LENGTH = 10_000


def _keyword(name: str) -> dict[str, Any]:
    return _GRAM_KEYWORD if name in GRAM_SOURCES else _KEYWORD


def _ecs_property(name: str, kind: str) -> dict[str, Any]:
    return _STORED_AS.get(kind) or _keyword(name)


def events_component(*, total_fields_limit: int = 5000) -> dict[str, Any]:
    """The component template body with the daily event indices' settings and mappings."""
    properties: dict[str, Any] = {
        name: _ecs_property(name, kind) for name, kind in ECS_FIELD_TYPES.items()
    }
    properties.update({name: _GRAM_KEYWORD for name in GRAM_SOURCES})
    properties.update(
        {
            "@timestamp": {"type": "date"},
            "event.ingested": {"type": "date_nanos"},
            # text for full-text search; the keyword subfield answers Sigma keyword rules
            # (case-insensitive substring), which a text field cannot.
            "event.original": {"type": "text", "fields": {"keyword": _keyword(ORIGINAL)}},
            "message": {**_keyword("message"), "fields": {"text": {"type": "text"}}},
            EVENT_ID_FIELD: {"type": "keyword"},
            "tags": _KEYWORD,
            GRAMS_FIELD: {"type": "keyword", "doc_values": False},
            GRAMS_MARKER: {"type": "boolean"},
            SKEW_FIELD: {"type": "long"},
            HEALTH_HOST_FIELD: _KEYWORD,
            SEQUENCE_FIELD: {"type": "long"},
        }
    )
    properties.update({name: {"type": "long"} for name in _INTEGRATION_LONG})
    properties.update({name: _KEYWORD for name in _PROVENANCE})
    return {
        "template": {
            "settings": {
                "index": {
                    **_SMALL_INDEX,
                    "mapping": {
                        "total_fields": {
                            "limit": total_fields_limit,
                            "ignore_dynamic_beyond_limit": True,
                        }
                    },
                    # Sigma's \w, \s, \d and (?i) letters are sent as the exact Unicode
                    # sets Python matches (detection compiles them so); a few such classes
                    # pass the default 1000 characters. Determinization still bounds the cost.
                    "max_regex_length": MAX_REGEX_LENGTH,
                    # Field-less query_string terms (Sigma keywords) search the log line,
                    # not all thousands of fields.
                    "query": {"default_field": ["message", "event.original"]},
                }
            },
            "mappings": {
                # Derived at write time, never part of the stored event.
                "_source": {"excludes": list(DERIVED_FIELDS)},
                "subobjects": False,
                "date_detection": False,
                "dynamic_templates": [
                    {"strings": {"match_mapping_type": "string", "mapping": _KEYWORD}},
                    {"doubles": {"match_mapping_type": "double", "mapping": {"type": "double"}}},
                ],
                "properties": properties,
            },
        },
        "_meta": {"managed_by": "canhgac"},
    }


def events_template(names: IndexNames) -> dict[str, Any]:
    """The composable index template for the daily event indices: our component, then the
    operator's optional ``@custom`` one (later components win)."""
    return {
        "index_patterns": [names.events_pattern],
        # Above the built-in templates (100-ish), so a prefix like "logs" still gets ours.
        "priority": 500,
        "composed_of": [names.events_component, names.events_custom],
        "ignore_missing_component_templates": [names.events_custom],
        "_meta": {"managed_by": "canhgac"},
    }


def fixed_template(index: str, body: dict[str, Any]) -> dict[str, Any]:
    """The composable template that gives the non-event index ``index`` its ``body``."""
    return {
        "index_patterns": [index],
        "priority": 500,
        "template": body,
        "_meta": {"managed_by": "canhgac"},
    }


def _fixed(properties: dict[str, Any]) -> dict[str, Any]:
    # dynamic: false keeps free-form parts (alert snapshots, contexts) in _source only, so
    # their contents can never cause a mapping conflict.
    return {"settings": _SMALL_INDEX, "mappings": {"dynamic": False, "properties": properties}}


DEAD_LETTER_MAPPING = _fixed(
    {
        "id": {"type": "keyword"},
        "source": {"type": "keyword"},
        "reason": {**_KEYWORD, "fields": {"text": {"type": "text"}}},
        "raw": {"type": "binary"},
        "received_at": _TIME_KEYWORD,
        # the sender's host:port, copied from the context for data health
        "peer": {"type": "keyword"},
        "context": {"type": "keyword", "index": False, "doc_values": False},
    }
)
#: Rule severity x asset criticality and the asset it was taken from (canhgac.assets.priority);
#: also put on an alerts index made before them (ElasticsearchStore._setup).
ALERT_PRIORITY_PROPERTIES: dict[str, Any] = {
    "priority": {"type": "short"},
    "asset": {"type": "keyword"},
}
ALERT_MAPPING = _fixed(
    {
        # The ECS view (canhgac.store.elasticsearch.alert_ecs), for Kibana data views.
        **alert_ecs_properties(_STORED_AS),
        "id": {"type": "keyword"},
        "rule_id": {"type": "keyword"},
        "rule_title": {**_KEYWORD, "fields": {"text": {"type": "text"}}},
        "severity": {"type": "keyword"},
        "status": {"type": "keyword"},
        "assignee": {"type": "keyword"},
        # For the rules page's false-positive rate (alert_stats); alerts closed in an index
        # made before it was mapped are counted as closed without a reason.
        "close_reason": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "count": {"type": "long"},
        **ALERT_PRIORITY_PROPERTIES,
        "first_seen": _TIME_KEYWORD,
        "last_seen": _TIME_KEYWORD,
        "created_at": _TIME_KEYWORD,
        "updated_at": _TIME_KEYWORD,
        # Derived by es_documents.alert_doc, for the queue's filters and sorts.
        "canhgac": {
            "properties": {
                "severity_rank": {"type": "byte"},
                "host": {"type": "keyword"},
                "user": {"type": "keyword"},
                "source_ip": {"type": "keyword"},
                "text": {"type": "keyword", "ignore_above": KEYWORD_MAX_CHARS},
            }
        },
    }
)
ALERT_EVENT_MAPPING = _fixed({"alert_id": {"type": "keyword"}, "event_id": {"type": "keyword"}})
NOTIFICATION_MAPPING = _fixed(
    {
        "alert_id": {"type": "keyword"},
        "channel": {"type": "keyword"},
        "status": {"type": "keyword"},
        "attempts": {"type": "integer"},
        "updated_at": _TIME_KEYWORD,
    }
)
RULE_STATE_MAPPING = _fixed({"rule_id": {"type": "keyword"}, "watermark": _TIME_KEYWORD})
RULE_RUN_MAPPING = _fixed(
    {
        "rule_id": {"type": "keyword"},
        "window_start": _TIME_KEYWORD,
        "window_end": _TIME_KEYWORD,
        "matches": {"type": "long"},
        "finished_at": _TIME_KEYWORD,
    }
)
# The latest RuleSwitch of each rule a person switched off or on, read by id.
RULE_SWITCH_MAPPING = _fixed(
    {
        "rule_id": {"type": "keyword"},
        "enabled": {"type": "boolean"},
        "actor": {"type": "keyword"},
        "changed_at": _TIME_KEYWORD,
    }
)
LEASE_MAPPING = _fixed({"owner": {"type": "keyword"}, "expires_at": {"type": "double"}})
# One document per process writing events (canhgac.store.elasticsearch.writer_marks).
WRITER_MARK_MAPPING = _fixed({"mark": _TIME_KEYWORD})
# One document per hour x source key; "doc" is the HealthBucket as stored, kept whole.
HEALTH_MAPPING = _fixed(
    {
        "kind": {"type": "keyword"},
        "hour": _TIME_KEYWORD,
        "source": {"type": "keyword"},
        "host": {"type": "keyword"},
        "dataset": {"type": "keyword"},
        "computed_at": {"type": "keyword"},
        "doc": {"type": "object", "enabled": False},
    }
)
# One document per incident, kept whole in _source (comments, tasks, history); mapped are
# the fields the incident list filters and sorts on and the two lookups by alert and entity.
INCIDENT_MAPPING = _fixed(
    {
        "id": {"type": "keyword"},
        "title": {**_KEYWORD, "fields": {"text": {"type": "text"}}},
        "status": {"type": "keyword"},
        "owner": {"type": "keyword"},
        "severity": {"type": "keyword"},
        "alert_ids": {"type": "keyword"},
        "entities": {"type": "keyword", "ignore_above": KEYWORD_MAX_CHARS},
        "created_at": _TIME_KEYWORD,
        "updated_at": _TIME_KEYWORD,
        "last_alert_at": _TIME_KEYWORD,
        "revision": {"type": "long"},
        "canhgac": {"properties": {"severity_rank": {"type": "byte"}}},
    }
)
