"""kafka-python's metadata refresh loop restarted when it ended (ingest/transport/kafka/
metadata_loop.py), on kafka-python's own ClusterMetadata and Future; no broker needed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import kafka  # noqa: F401 - the whole package first: kafka.cluster alone imports in a cycle
from kafka.cluster import ClusterMetadata
from kafka.future import Future

from ingest.transport.kafka.metadata_loop import revive


def _client(loop: Future | None, *, closed: bool = False) -> Any:
    cluster = ClusterMetadata(bootstrap_servers="127.0.0.1:1")
    cluster.closed = closed
    cluster._refresh_loop_future = loop
    started: list[bool] = []
    cluster.start_refresh_loop = lambda: started.append(True)  # what request_update calls
    cluster._manager = SimpleNamespace()  # attached: request_update starts the loop
    cluster._wakeup = SimpleNamespace(notify=lambda: None)
    return SimpleNamespace(_manager=SimpleNamespace(cluster=cluster), started=started)


def test_an_ended_loop_is_started_again() -> None:
    ended = Future()
    ended.failure(ConnectionResetError(104, "Connection reset by peer"))
    client = _client(ended)
    assert revive(client)
    cluster = client._manager.cluster
    assert cluster._refresh_loop_future is None and client.started == [True]
    assert cluster._need_update  # an update is due at once


def test_a_running_loop_a_closed_client_and_other_clients_are_left_alone() -> None:
    running = _client(Future())
    assert not revive(running) and running.started == []
    done = Future()
    done.success(None)
    assert not revive(_client(done, closed=True))
    assert not revive(_client(None))
    assert not revive(SimpleNamespace())  # another client library's shape: nothing to do
