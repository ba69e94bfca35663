"""An Elasticsearch alerts index made before priorities gets their fields when the store
starts, so its new alerts sort by priority (templates apply only to new indices)."""

from __future__ import annotations

import copy
import os
import uuid

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import AlertFilter
from canhgac.store.elasticsearch.mappings import ALERT_MAPPING, ALERT_PRIORITY_PROPERTIES
from canhgac.store.elasticsearch.store import ElasticsearchStore
from tests.support.alerts import bare_alert

pytestmark = pytest.mark.integration


def test_an_older_alerts_index_gets_the_priority_fields_at_start() -> None:
    url = os.environ.get("CANHGAC_TEST_ES_URL", "").strip()
    if not url:
        pytest.fail("CANHGAC_TEST_ES_URL is not set", pytrace=False)
    config = ElasticsearchStoreConfig(hosts=[url], index_prefix=f"cgt-{uuid.uuid4().hex[:10]}")
    store = ElasticsearchStore(config)
    try:
        old = copy.deepcopy(ALERT_MAPPING)
        for name in ALERT_PRIORITY_PROPERTIES:
            del old["mappings"]["properties"][name]
        store._client.indices.create(index=store.names.alerts, **old)  # as before priorities
        store.record_alert(bare_alert("before", None), ["e1"])
        store.close()

        store = ElasticsearchStore(config)
        mapping = store._client.indices.get_mapping(index=store.names.alerts)
        properties = mapping[store.names.alerts]["mappings"]["properties"]
        assert properties["priority"] == {"type": "short"}
        store.record_alert(bare_alert("low", 2), ["e2"])
        store.record_alert(bare_alert("high", 12), ["e3"])
        ids = [a.id for a in store.list_alerts(AlertFilter(sort="priority"))]
        assert ids == ["high", "low", "before"]
    finally:
        store.delete_indices()
        store.close()
