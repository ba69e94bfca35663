"""Leases in Elasticsearch: one document per lease, taken and given up in batches.

A lease document is ``{"owner", "expires_at"}`` (epoch seconds) with the lease's name as id. It
is created with ``op_type=create`` when absent, and taken over or renewed only if unchanged
since read (``if_seq_no``/``if_primary_term``), so of two racing detectors exactly one gets a
2xx and the other a 409. No refresh: a get by id is real-time, and nothing searches leases.

The versions this process last wrote are remembered, so the usual case costs one bulk request
for a whole tick's leases: renewals write conditionally on the remembered version, new leases
are created. Only the items that conflict (the lease changed hands, or someone holds it) are
read (one ``_mget``) and judged, then written again (one more bulk): taken over when expired,
or when its holder is a process of this host that has died (:mod:`canhgac.store.lease_holders`).
Releasing is one bulk of conditional deletes the same way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from canhgac.store.elasticsearch.bulk import describe
from canhgac.store.elasticsearch.client import ElasticsearchCalls
from canhgac.store.elasticsearch.documents import doc_id, loose_json
from canhgac.store.lease_holders import holder_is_gone, log_takeover

log = logging.getLogger(__name__)

# (seq_no, primary_term) of a lease document.
Version = tuple[int, int]


class ElasticsearchLeases:
    """Takes, renews and releases leases in one index on behalf of the processes' owners."""

    def __init__(self, calls: ElasticsearchCalls, index: str, clock: Callable[[], float]) -> None:
        self._client = calls.client
        self._index = index
        self._call = calls.call
        self._clock = clock
        self._lock = threading.Lock()
        # (lease, owner) -> the version of the lease document this process last wrote.
        self._versions: dict[tuple[str, str], Version] = {}

    def acquire(self, names: Sequence[str], owner: str, ttl: float) -> set[str]:
        """The names ``owner`` holds after taking or renewing each (see module doc)."""
        names = list(dict.fromkeys(names))
        if not names:
            return set()
        first = {name: self._remembered(name, owner) for name in names}
        held, conflicts = self._write(first, owner, self._clock() + ttl)
        if conflicts:
            current = self._read(conflicts)
            now = self._clock()
            second: dict[str, Version | None] = {}
            for name in conflicts:
                found = current.get(name)
                if found is None:
                    second[name] = None
                    continue
                source, version = found
                holder = str(source.get("owner"))
                if holder != owner and float(source.get("expires_at", 0)) > now:
                    if not holder_is_gone(holder):
                        continue  # someone else holds it
                    log_takeover(name, holder)
                second[name] = version
            if second:
                held |= self._write(second, owner, now + ttl)[0]
        return held

    def release(self, names: Sequence[str], owner: str) -> None:
        """Delete each lease ``owner`` still holds; leases of others are left alone."""
        names = list(dict.fromkeys(names))
        known = {name: self._remembered(name, owner, forget=True) for name in names}
        versions = {name: v for name, v in known.items() if v is not None}
        conflicts = self._delete(versions)
        unsure = [name for name in names if known[name] is None] + conflicts
        if not unsure:
            return
        # Unknown here, or changed since this process wrote it: read it to see whose it is.
        mine = {
            name: version
            for name, (source, version) in self._read(unsure).items()
            if source.get("owner") == owner
        }
        self._delete(mine)

    # --- requests ----------------------------------------------------------------------------
    def _remembered(self, name: str, owner: str, *, forget: bool = False) -> Version | None:
        with self._lock:
            if forget:
                return self._versions.pop((name, owner), None)
            return self._versions.get((name, owner))

    def _write(
        self, versions: Mapping[str, Version | None], owner: str, expires_at: float
    ) -> tuple[set[str], list[str]]:
        """Write each lease as ``owner``'s, conditionally on its version (None: create).
        (names now held, names that conflicted)."""
        names = list(versions)
        lines: list[str] = []
        for name in names:
            meta: dict[str, Any] = {"_index": self._index, "_id": doc_id(name)}
            version = versions[name]
            if version is None:
                lines.append(loose_json({"create": meta}))
            else:
                meta.update(if_seq_no=version[0], if_primary_term=version[1])
                lines.append(loose_json({"index": meta}))
            lines.append(loose_json({"owner": owner, "expires_at": expires_at}))
        held: set[str] = set()
        conflicts: list[str] = []
        for name, item in zip(names, self._bulk("taking leases", lines), strict=True):
            status = int(item.get("status", 0))
            with self._lock:
                if 200 <= status < 300:
                    self._versions[(name, owner)] = (
                        int(item["_seq_no"]),
                        int(item["_primary_term"]),
                    )
                    held.add(name)
                    continue
                self._versions.pop((name, owner), None)
            if status == 409:
                conflicts.append(name)
            else:  # busy or failing: not held this time; the next tick tries again
                log.warning("lease %s not taken: %s", name, describe(item.get("error")))
        return held, conflicts

    def _delete(self, versions: Mapping[str, Version]) -> list[str]:
        """Delete each lease if still at its version; the names that had changed."""
        names = list(versions)
        if not names:
            return []
        lines = [
            loose_json(
                {
                    "delete": {
                        "_index": self._index,
                        "_id": doc_id(name),
                        "if_seq_no": versions[name][0],
                        "if_primary_term": versions[name][1],
                    }
                }
            )
            for name in names
        ]
        items = self._bulk("releasing leases", lines)
        return [name for name, item in zip(names, items, strict=True) if item.get("status") == 409]

    def _read(self, names: Sequence[str]) -> dict[str, tuple[Mapping[str, Any], Version]]:
        """The stored lease documents of ``names`` (absent ones are left out)."""
        response = self._call(
            "reading leases",
            lambda: self._client.mget(index=self._index, ids=[doc_id(n) for n in names]),
        )
        found = {}
        for name, doc in zip(names, response.body["docs"], strict=True):
            if doc.get("found"):
                found[name] = (doc["_source"], (int(doc["_seq_no"]), int(doc["_primary_term"])))
        return found

    def _bulk(self, action: str, lines: list[str]) -> list[Mapping[str, Any]]:
        operations: Any = lines  # pre-serialized NDJSON lines, sent as they are
        response = self._call(
            action,
            lambda: self._client.bulk(
                operations=operations,
                filter_path="items.*.status,items.*.error,items.*._seq_no,items.*._primary_term",
            ),
        )
        return [next(iter(item.values())) for item in response.body.get("items", [])]
