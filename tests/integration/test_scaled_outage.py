"""Elasticsearch unreachable for 30 s in the middle of a stream: the backlog waits in Kafka,
is indexed once the store is back, and detection catches up; nothing lost, nothing doubled.

The outage is a TCP proxy between the roles and the shared test node that refuses
connections for 30 s: restarting the node itself (deploy/services/elasticsearch.sh) gives
it a new port and an empty data dir, and would break every other test using it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from canhgac.config import KafkaTransportConfig
from canhgac.store.elasticsearch.store import ElasticsearchStore
from tests.support.city_traffic import EXPECTED, NOTIFIED, SENT, free_port, wait_for

from .scaled_site import (
    Site,
    alerts_by_rule,
    produce,
    send_city_logs,
)

pytestmark = pytest.mark.integration

OUTAGE_S = 30
FILLER = 5_000


class TcpProxy:
    """127.0.0.1:``port`` -> ``target``; :meth:`down` refuses new connections and cuts the
    open ones, :meth:`up` serves again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._spawn(self._accept, listener)

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [t for t in self._threads if t.is_alive()]

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def proxied_site(
    tmp_path: Path, kafka_config: KafkaTransportConfig, es_store: ElasticsearchStore
) -> Iterator[tuple[Site, TcpProxy]]:
    node = urlsplit(Site(tmp_path, kafka_config, es_store).es_url)
    proxy = TcpProxy((node.hostname or "127.0.0.1", node.port or 9200))
    proxy.up()
    site = Site(tmp_path, kafka_config, es_store, es_url=f"http://127.0.0.1:{proxy.port}")
    try:
        yield site, proxy
    finally:
        site.stop_all()
        proxy.down()


def test_the_backlog_waits_in_kafka_while_elasticsearch_is_down(
    proxied_site: tuple[Site, TcpProxy],
) -> None:
    site, proxy = proxied_site
    detect = site.role("detect", "detector").start()
    index = site.role("index", "indexer").start()
    collect = site.role("collect", "collector").start()

    proxy.down()
    send_city_logs(site)
    produce(site.kafka, "outage", FILLER)
    wait_for(
        lambda: collect.metric("canhgac_collector_events_acked_total") == SENT, 30, "Kafka acks"
    )
    time.sleep(OUTAGE_S)
    # site.store talks to the node directly: nothing got through the proxy.
    assert site.store.count_events() == 0
    assert index.metric("canhgac_indexer_retries_total") > 0
    assert detect.metric("canhgac_rule_failures_total") > 0

    proxy.up()
    wait_for(lambda: site.store.count_events() >= SENT + FILLER, 120, "the backlog indexed")
    wait_for(lambda: alerts_by_rule(site.store) == EXPECTED, 90, f"alerts {EXPECTED}")
    wait_for(lambda: detect.output().count(NOTIFIED) >= len(EXPECTED), 60, "notifications")
    time.sleep(3)  # more rule runs and indexer rounds: nothing may double

    assert site.store.count_events() == SENT + FILLER
    assert alerts_by_rule(site.store) == EXPECTED
    assert index.metric("canhgac_indexer_events_written_total") == SENT + FILLER
    for role in (collect, index, detect):
        assert role.stop() == 0, role.output()
    assert detect.output().count(NOTIFIED) == len(EXPECTED)
