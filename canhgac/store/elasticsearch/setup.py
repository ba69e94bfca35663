"""What an Elasticsearch store puts on the cluster when it starts: its index templates, and
the fields an index made by an older version lacks."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from canhgac.store.elasticsearch.errors import translated
from canhgac.store.elasticsearch.mappings import (
    ALERT_PRIORITY_PROPERTIES,
    IndexNames,
    events_component,
    events_template,
    fixed_template,
)


def install_templates(client: Elasticsearch, names: IndexNames) -> None:
    with translated("creating index templates"):
        client.cluster.put_component_template(name=names.events_component, **events_component())
        client.indices.put_index_template(name=names.events_template, **events_template(names))
        for index, body in names.fixed().items():
            client.indices.put_index_template(name=index, **fixed_template(index, body))
        _add_alert_priority_fields(client, names)


def _add_alert_priority_fields(client: Elasticsearch, names: IndexNames) -> None:
    """Templates apply to new indices only: an alerts index made before priorities gets their
    (additive) fields, so its new alerts sort by priority too. Only if they are missing:
    updating a mapping needs more than the role's ``write`` privilege in the next
    Elasticsearch (it already warns), reading it only ``view_index_metadata``."""
    found = client.options(ignore_status=404).indices.get_mapping(index=names.alerts)
    if found.meta.status == 404:
        return  # no alerts index yet: its template has the fields
    have = {
        name
        for index in found.body.values()
        for name in index.get("mappings", {}).get("properties", {})
    }
    missing = {k: v for k, v in ALERT_PRIORITY_PROPERTIES.items() if k not in have}
    if missing:
        client.indices.put_mapping(index=names.alerts, properties=missing)
