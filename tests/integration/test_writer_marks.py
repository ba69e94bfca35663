"""Writer marks on a real node: detection never closes a window over an event still being
written, whatever the writers' clocks, and a writer gone quiet stops holding it back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from canhgac.config import ElasticsearchStoreConfig
from canhgac.models import INGESTED, Event
from canhgac.store.elasticsearch.store import ElasticsearchStore
from canhgac.store.elasticsearch.writer_marks import WriterMarks
from canhgac.timeutil import now_iso

pytestmark = pytest.mark.integration


def _event(i: int) -> Event:
    return Event(f"m-{i}", {"@timestamp": "2026-11-27T10:00:00.000000Z", "n": i})


@pytest.fixture
def writer(es_store: ElasticsearchStore, es_url: str) -> Iterator[ElasticsearchStore]:
    """A second process's store on the same indices: the writer, ``es_store`` detects."""
    config = ElasticsearchStoreConfig(hosts=[es_url], index_prefix=es_store.names.prefix)
    store = ElasticsearchStore(config)
    yield store
    store.close()


def test_no_writer_means_no_mark(es_store: ElasticsearchStore) -> None:
    assert es_store.settled_before() is None


def test_a_writer_in_the_middle_of_an_attempt_holds_windows_at_that_attempt(
    es_store: ElasticsearchStore, writer: ElasticsearchStore
) -> None:
    writer.write_events([_event(1)])
    [stored] = writer.get_events(["m-1"])
    registered = es_store.settled_before()  # published before the write took its stamp
    assert registered is not None and registered <= stored.fields[INGESTED]
    writer._marks.publish(refresh=True)
    idle_mark = es_store.settled_before()
    assert idle_mark is not None
    assert idle_mark >= stored.fields[INGESTED]  # idle: everything it wrote is behind it

    with writer._marks.writing() as take:  # a write whose requests have not returned
        stamp = take()
        later = take()  # (its retry)
        writer._marks.publish(refresh=True)
        assert es_store.settled_before() == stamp <= later
    writer._marks.publish(refresh=True)
    assert es_store.settled_before() > later  # type: ignore[operator]


def test_a_writer_that_stops_withdraws_its_mark(
    es_store: ElasticsearchStore, writer: ElasticsearchStore
) -> None:
    writer.write_events([_event(2)])
    assert es_store.settled_before() is not None
    writer.close()
    es_store._client.indices.refresh(index=es_store.names.writer_marks)
    assert es_store.settled_before() is None


def test_a_writer_that_stops_beating_goes_stale_by_the_detectors_own_clock(
    es_store: ElasticsearchStore,
) -> None:
    index = es_store.names.writer_marks
    beating = WriterMarks(es_store._es, index, now_iso)  # publishes only when told here
    beating.publish(refresh=True)
    ticks = [0.0]
    detector = WriterMarks(es_store._es, index, now_iso, stale_after=10, monotonic=lambda: ticks[0])
    assert detector.settled_before() is not None
    ticks[0] = 9.0
    assert detector.settled_before() is not None  # no new beat for 9 s: still alive
    ticks[0] = 11.0
    assert detector.settled_before() is None  # a dead writer holds windows back no longer
    beating.publish(refresh=True)
    assert detector.settled_before() is not None  # it beat again: alive
    ticks[0] = 11.0 + 10 * 30  # silent for 30 times stale_after: not coming back
    assert detector.settled_before() is None
    es_store._client.indices.refresh(index=index)
    assert es_store._client.count(index=index)["count"] == 0  # its mark was deleted
