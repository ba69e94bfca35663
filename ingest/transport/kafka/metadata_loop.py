"""Keeps kafka-python's metadata refresh alive after a broker dies.

kafka-python 3.0.12 refreshes a client's view of the cluster (who leads which partition) in
one coroutine, ``ClusterMetadata._refresh_loop``, which catches ``KafkaError`` only. A broker
killed mid-refresh makes it fail with a plain ``OSError`` ("[Errno 104] Connection reset by
peer"): the loop ends, and ``start_refresh_loop`` never starts another (it only checks that one
was started). The consumer then fetches from the dead leader for good, whatever
``metadata_max_age_ms`` says: in CI an indexer stored nothing more for 4 minutes after a broker
kill, its log showing that failed refresh and no other (tests/deploy/test_site_starts.py).

:func:`revive` notices the ended loop and starts a new one. It reads kafka-python internals,
so every step is guarded: on any other shape of client it does nothing.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def revive(client: Any) -> bool:
    """Restart ``client``'s (a KafkaConsumer's or KafkaProducer's) metadata refresh loop if it
    ended while the client is open; True if it did."""
    cluster: Any = getattr(getattr(client, "_manager", None), "cluster", None)
    loop = getattr(cluster, "_refresh_loop_future", None)
    if cluster is None or loop is None or getattr(loop, "is_done", False) is not True:
        return False
    if getattr(cluster, "closed", True) is not False:
        return False
    log.warning(
        "Kafka: the client's metadata refresh loop ended (%s); starting it again",
        getattr(loop, "exception", None),
    )
    try:
        cluster._refresh_loop_future = None
        cluster.request_update()
    except Exception:
        log.exception("Kafka: could not restart the metadata refresh loop")
        return False
    return True
